/**
 * What the connection layer reports about every command and upload, for -v/-vv/-vvv and --log. Nothing
 * is traced unless the CLI sets a sink; every text passes through maskSecrets before a sink sees it.
 */
export interface CommandTrace {
  type: 'command' | 'upload';
  host: string;
  /** The step's name (execChecked's step, or the command's first word; the remote path for uploads). */
  name: string;
  /** The command as fleet wrote it, before the sudo and timeout wrapping (secrets masked). */
  command: string;
  sudo: boolean;
  /** How it became root when sudo is true: sudo, su or doas. */
  become?: string;
  durationMs: number;
  code?: number;
  stdout?: string;
  stderr?: string;
  error?: string;
}

/** A host's end, so the log holds outcomes next to the commands that led to them. */
export interface OutcomeTrace {
  type: 'host-done';
  host: string;
  status: string;
  durationMs: number;
  error?: { kind: string; step?: string; message: string };
}

type TraceSink = (trace: CommandTrace | OutcomeTrace) => void;

let sink: TraceSink | undefined;
const secrets = new Set<string>();
const MASK = '********';

export function setTraceSink(next: TraceSink | undefined): void {
  sink = next;
}

export function tracing(): boolean {
  return sink !== undefined;
}

export function emitTrace(trace: CommandTrace): void {
  if (!sink) return;
  sink({
    ...trace,
    command: maskSecrets(trace.command),
    ...(trace.stdout !== undefined ? { stdout: maskSecrets(trace.stdout) } : {}),
    ...(trace.stderr !== undefined ? { stderr: maskSecrets(trace.stderr) } : {}),
    ...(trace.error !== undefined ? { error: maskSecrets(trace.error) } : {}),
  });
}

export function traceHostOutcome(outcome: { host: string; status: string; durationMs: number; error?: OutcomeTrace['error'] }): void {
  if (!sink) return;
  const error = outcome.error ? { ...outcome.error, message: maskSecrets(outcome.error.message) } : undefined;
  sink({ type: 'host-done', host: outcome.host, status: outcome.status, durationMs: outcome.durationMs, ...(error ? { error } : {}) });
}

/** A value that must never reach a log or the terminal: become (sudo, su, doas) and login passwords, basic-auth and proxy passwords. */
export function registerSecret(value: string | undefined): void {
  // Very short values would mask ordinary text everywhere; such a password is masked nowhere else either.
  if (value && value.length >= 4) secrets.add(value);
}

export function maskSecrets(text: string): string {
  let masked = text;
  for (const secret of secrets) masked = masked.replaceAll(secret, MASK);
  return masked;
}
