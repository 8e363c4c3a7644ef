import type { ConnectionUsage } from '../connection/ssh.ts';

/** What the engine tells the reporter while it works; nothing in the engine writes to the terminal. */
export type RunEvent =
  | { type: 'host-start'; host: string }
  | { type: 'host-step'; host: string; step: string }
  | { type: 'host-done'; host: string; outcome: HostOutcome };

/** `not-attempted`: never started, because the run was interrupted or stopped by --max-fail-percent. */
export type HostStatus = 'ok' | 'changed' | 'failed' | 'unreachable' | 'not-attempted';

export interface HostOutcome<T = unknown> {
  host: string;
  status: HostStatus;
  durationMs: number;
  /** Set when status is failed or unreachable: which step, what kind, what to do. */
  error?: { kind: string; step?: string; message: string };
  result?: T;
  /** How many attempts the connection took (transient failures such as a refused connection are retried). */
  connectAttempts?: number;
  /** Counted on the host's SSH session (absent when it never connected). */
  connection?: ConnectionUsage;
}

export type EventSink = (event: RunEvent) => void;

/** The hosts whose run ended ok or changed (not failed, not unreachable), in the given order. */
export function succeededHosts<H extends { name: string }>(hosts: readonly H[], outcomes: readonly HostOutcome[]): H[] {
  const succeeded = new Set(outcomes.filter((outcome) => outcome.status === 'ok' || outcome.status === 'changed').map((outcome) => outcome.host));
  return hosts.filter((host) => succeeded.has(host.name));
}
