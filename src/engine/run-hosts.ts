import pLimit, { type LimitFunction } from 'p-limit';
import { HostError } from '../connection/errors.ts';
import { Connection, type OpenOptions } from '../connection/ssh.ts';
import { traceHostOutcome } from '../connection/trace.ts';
import type { ResolvedHost } from '../inventory/resolve.ts';
import type { EventSink, HostOutcome, HostStatus } from './events.ts';

export interface HostTask<T> {
  /** The work on one host over its one connection; report() names the step shown in the progress line. */
  (context: { host: ResolvedHost; connection: Connection; report: (step: string) => void }): Promise<{ status: Extract<HostStatus, 'ok' | 'changed'>; result: T }>;
}

export interface RunOptions {
  forks: number;
  emit: EventSink;
  /** Per-host options for opening the connection (become password, login password). */
  openOptions: (host: ResolvedHost) => OpenOptions;
  /** Opens the host's session another way than host.ssh (bootstrap tries the deploy user, then the initial login). */
  connect?: (host: ResolvedHost, openOptions: OpenOptions) => Promise<Connection>;
}

/**
 * SSH handshakes (key exchange, authentication) are the CPU-heavy part of a session on both ends: a
 * burst of a hundred at once made a busy lab miss connect timeouts (issue 11). Sessions run `forks`
 * at a time; at most this many of them are connecting, and a host's connect timeout starts with its turn.
 */
export const CONNECT_CONCURRENCY = 32;

/**
 * Runs a task on every host, at most `forks` at a time. A host's failure is a value in its outcome,
 * never an exception: one bad host does not stop the others.
 */
export async function runOnHosts<T>(hosts: readonly ResolvedHost[], task: HostTask<T>, options: RunOptions): Promise<HostOutcome<T>[]> {
  const limit = pLimit(Math.max(1, options.forks));
  const connectLimit = pLimit(Math.max(1, Math.min(options.forks, CONNECT_CONCURRENCY)));
  return Promise.all(hosts.map((host) => limit(() => runOneHost(host, task, options, connectLimit))));
}

async function runOneHost<T>(host: ResolvedHost, task: HostTask<T>, options: RunOptions, connectLimit: LimitFunction): Promise<HostOutcome<T>> {
  const started = Date.now();
  let step = 'connect';
  const report = (next: string) => {
    step = next;
    options.emit({ type: 'host-step', host: host.name, step });
  };
  options.emit({ type: 'host-start', host: host.name });
  report('connect');
  let connection: Connection | undefined;
  let outcome: HostOutcome<T>;
  try {
    const openOptions = { label: host.name, ...options.openOptions(host) };
    connection = await connectLimit(() => (options.connect ? options.connect(host, openOptions) : Connection.open(host.ssh, openOptions)));
    const { status, result } = await task({ host, connection, report });
    outcome = { host: host.name, status, durationMs: Date.now() - started, result };
  } catch (error) {
    outcome = { host: host.name, ...failureOf<T>(error, step), durationMs: Date.now() - started };
  } finally {
    connection?.close();
  }
  if (connection) outcome.connection = { ...connection.usage };
  options.emit({ type: 'host-done', host: host.name, outcome });
  traceHostOutcome(outcome);
  return outcome;
}

function failureOf<T>(error: unknown, step: string): Pick<HostOutcome<T>, 'status' | 'error' | 'result'> {
  if (error instanceof HostError) {
    const unreachable = step === 'connect' && (error.kind === 'unreachable' || error.kind === 'auth' || error.kind === 'host-key');
    return { status: unreachable ? 'unreachable' : 'failed', error: { kind: error.kind, step, message: error.message }, result: error.result as T | undefined };
  }
  // Anything else is a bug in fleet; keep the host's failure visible and the run going.
  const message = error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error);
  return { status: 'failed', error: { kind: 'internal', step, message: `internal error (please report): ${message}` } };
}
