import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { maskSecrets, setTraceSink, type CommandTrace, type OutcomeTrace } from '../connection/trace.ts';
import { UsageError } from '../errors.ts';
import { maskCredentials } from './output-diffs.ts';

/**
 * -v, -vv, -vvv and --log: prints what the connection layer traces on stderr, and writes the whole run as
 * JSON lines to the log file (one object a line: run, command, upload, host-done, end). Secrets are masked
 * before either sees them (connection/trace.ts).
 */
export function startRunTrace(command: Command, argv: readonly string[]): void {
  const { verbose = 0, log } = command.opts<{ verbose?: number; log?: string }>();
  if (verbose === 0 && !log) return;
  const writeLog = log ? openLog(log) : undefined;
  printing = verbose > 0;
  writeLog?.({ type: 'run', command: command.name(), argv: argv.slice(2).map(maskSecrets), startedAt: new Date().toISOString() });
  setTraceSink((raw) => {
    const trace = maskTrace(raw);
    writeLog?.(trace);
    if (verbose > 0 && trace.type !== 'host-done') process.stderr.write(describeTrace(trace, verbose));
  });
  finish = () => {
    writeLog?.({ type: 'end', exitCode: Number(process.exitCode ?? 0), endedAt: new Date().toISOString() });
    setTraceSink(undefined);
  };
}

let finish: (() => void) | undefined;
let printing = false;

/** True while -v prints traces on stderr: the progress spinner then stays off, so the two never interleave. */
export function printsTraces(): boolean {
  return printing;
}

/** After the command's action: the log's last line, with the exit code. */
export function finishRunTrace(): void {
  finish?.();
  finish = undefined;
}

/**
 * The connection layer has masked the known secret values; this also masks credentials by their shape, as
 * --diff and --json do (a `password: x` line in a file that -vvv prints, a user:password@ URL in a command).
 */
function maskTrace<T extends CommandTrace | OutcomeTrace>(trace: T): T {
  if (trace.type === 'host-done') return trace.error ? { ...trace, error: { ...trace.error, message: maskCredentials(trace.error.message) } } : trace;
  const masked: CommandTrace = { ...trace, command: maskCredentials(trace.command) };
  for (const key of ['stdout', 'stderr', 'error'] as const) if (trace[key] !== undefined) masked[key] = maskCredentials(trace[key]);
  return masked as T;
}

function openLog(file: string): (entry: CommandTrace | OutcomeTrace | Record<string, unknown>) => void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    appendFileSync(file, '', { mode: 0o600 });
  } catch (error) {
    throw new UsageError(`--log ${file}: cannot write the log: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  // Appended line by line, synchronously: the log stays complete up to a crash, in the order things happened.
  return (entry) => appendFileSync(file, `${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
}

/** -v: host, step, duration and exit code; -vv: and the command; -vvv: and its output. */
export function describeTrace(trace: CommandTrace, verbose: number): string {
  const outcome = trace.error ? `failed: ${trace.error.split('\n')[0]}` : trace.code === undefined ? 'ok' : `exit ${trace.code}`;
  const lines = [`[${trace.host}] ${trace.name} ${(trace.durationMs / 1000).toFixed(2)}s ${outcome}`];
  if (verbose >= 2 && trace.type === 'command') lines.push(...indent(`${trace.sudo ? `(${trace.become ?? 'sudo'}) ` : ''}$ ${trace.command}`, '    '));
  if (verbose >= 3) {
    if (trace.stdout) lines.push(...indent(trace.stdout.trimEnd(), '    stdout| '));
    if (trace.stderr) lines.push(...indent(trace.stderr.trimEnd(), '    stderr| '));
  }
  return `${lines.join('\n')}\n`;
}

function indent(text: string, prefix: string): string[] {
  return text.split('\n').map((line) => `${prefix}${line}`);
}
