/** What the engine tells the reporter while it works; nothing in the engine writes to the terminal. */
export type RunEvent =
  | { type: 'host-start'; host: string }
  | { type: 'host-step'; host: string; step: string }
  | { type: 'host-done'; host: string; outcome: HostOutcome };

export type HostStatus = 'ok' | 'changed' | 'failed' | 'unreachable';

export interface HostOutcome<T = unknown> {
  host: string;
  status: HostStatus;
  durationMs: number;
  /** Set when status is failed or unreachable: which step, what kind, what to do. */
  error?: { kind: string; step?: string; message: string };
  result?: T;
}

export type EventSink = (event: RunEvent) => void;
