import pLimit, { type LimitFunction } from 'p-limit';
import { HostError } from '../connection/errors.ts';
import { Connection, type OpenOptions } from '../connection/ssh.ts';
import { traceHostOutcome } from '../connection/trace.ts';
import type { ResolvedHost } from '../inventory/resolve.ts';
import { batchStopReason, splitIntoBatches, type Serial } from './batches.ts';
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
  /** Rolling runs: hosts in batches, each batch done before the next starts. */
  serial?: Serial;
  /** Stop after a batch whose share of failed hosts is strictly above this. */
  maxFailPercent?: number;
  /** Aborted on Ctrl-C: no host or step starts after it; steps in flight finish. */
  signal?: AbortSignal;
}

/**
 * SSH handshakes (key exchange, authentication) are the CPU-heavy part of a session on both ends: a
 * burst of a hundred at once made a busy lab miss connect timeouts (issue 11). Sessions run `forks`
 * at a time; at most this many of them are connecting, and a host's connect timeout starts with its turn.
 */
export const CONNECT_CONCURRENCY = 32;

/**
 * Runs a task on every host, at most `forks` at a time (batch after batch with --serial). A host's
 * failure is a value in its outcome, never an exception: one bad host does not stop the others.
 * A batch above --max-fail-percent, or an interruption, stops the run: the hosts not yet started
 * end as "not-attempted", with the reason.
 */
export async function runOnHosts<T>(hosts: readonly ResolvedHost[], task: HostTask<T>, options: RunOptions): Promise<HostOutcome<T>[]> {
  const limit = pLimit(Math.max(1, options.forks));
  const connectLimit = pLimit(Math.max(1, Math.min(options.forks, CONNECT_CONCURRENCY)));
  const outcomes: HostOutcome<T>[] = [];
  let stopped: string | undefined;
  const notAttempted = (host: ResolvedHost, reason: string): HostOutcome<T> => {
    const outcome: HostOutcome<T> = { host: host.name, status: 'not-attempted', durationMs: 0, error: { kind: 'not-attempted', message: `not attempted: ${reason}` } };
    options.emit({ type: 'host-done', host: host.name, outcome });
    return outcome;
  };
  const interrupted = () => (options.signal?.aborted ? `the run was interrupted (${String(options.signal.reason ?? 'signal')})` : undefined);
  for (const batch of splitIntoBatches(hosts, options.serial)) {
    if (stopped) {
      outcomes.push(...batch.map((host) => notAttempted(host, stopped!)));
      continue;
    }
    const done = await Promise.all(batch.map((host) => limit(() => {
      const reason = interrupted();
      return reason ? notAttempted(host, reason) : runOneHost(host, task, options, connectLimit);
    })));
    outcomes.push(...done);
    stopped = interrupted() ?? batchStopReason(done, { maxFailPercent: options.maxFailPercent, serial: options.serial !== undefined });
  }
  return outcomes;
}

async function runOneHost<T>(host: ResolvedHost, task: HostTask<T>, options: RunOptions, connectLimit: LimitFunction): Promise<HostOutcome<T>> {
  const started = Date.now();
  let step = 'connect';
  let abandoned = false;
  const report = (next: string) => {
    // Work abandoned at the deadline may still be running; the host is already reported done.
    if (abandoned) return;
    // Between steps is where an interruption takes effect: the step in flight has finished.
    if (options.signal?.aborted) throw new HostError('interrupted', `interrupted before ${next}; what came before it is done, the rest is not: run fleet apply again to finish`);
    step = next;
    options.emit({ type: 'host-step', host: host.name, step });
  };
  options.emit({ type: 'host-start', host: host.name });
  report('connect');
  let connection: Connection | undefined;
  let outcome: HostOutcome<T>;
  const work = (async () => {
    const openOptions = { label: host.name, ...options.openOptions(host) };
    const opened = await connectLimit(() => (options.connect ? options.connect(host, openOptions) : Connection.open(host.ssh, openOptions)));
    if (abandoned) {
      opened.abandon();
      throw new HostError('timeout', 'abandoned');
    }
    connection = opened;
    return task({ host, connection, report });
  })();
  // Work abandoned at the deadline may still fail later; that failure is already reported as the timeout.
  work.catch(() => {});
  let deadline: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    const limitMs = host.ssh?.hostTimeoutMs;
    if (limitMs === undefined) return;
    deadline = setTimeout(() => {
      abandoned = true;
      reject(new HostError('timeout', `host did not finish within ${limitMs / 1000}s (ssh.host_timeout) and was abandoned at step "${step}"; fleet cut its connection`));
    }, limitMs);
  });
  try {
    const { status, result } = await Promise.race([work, timedOut]);
    outcome = { host: host.name, status, durationMs: Date.now() - started, result };
  } catch (error) {
    outcome = { host: host.name, ...failureOf<T>(error, step), durationMs: Date.now() - started };
    if (error instanceof HostError && error.connectAttempts !== undefined) outcome.connectAttempts = error.connectAttempts;
  } finally {
    clearTimeout(deadline);
    // A host past its deadline may be frozen: cut the connection rather than wait for a goodbye.
    if (abandoned) (connection as Connection | undefined)?.abandon();
    else (connection as Connection | undefined)?.close();
  }
  const opened = connection as Connection | undefined;
  if (opened) {
    outcome.connectAttempts = opened.connectAttempts;
    outcome.connection = { ...opened.usage };
  }
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
