import type { Ora } from 'ora';
import type { EventSink, HostOutcome, HostStatus } from '../engine/events.ts';
import { color } from './colors.ts';
import { maskCredentials } from './output-diffs.ts';
import { printsTraces } from './run-trace.ts';

const STATUS_COLOR: Record<HostStatus, (text: string) => string> = {
  ok: color.green,
  changed: color.yellow,
  failed: color.red,
  unreachable: color.magenta,
  'not-attempted': color.dim,
};

export function paintStatus(status: HostStatus): string {
  return STATUS_COLOR[status](status === 'ok' || status === 'changed' ? status : status.toUpperCase().replace('-', ' '));
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/**
 * The one owner of the terminal while hosts run: a spinner line with the counts and each running
 * host's step, and a persisted line per finished host. Quiet on stdout, so --json stays parseable.
 */
export async function createProgress(total: number, verb: string): Promise<{ sink: EventSink; stop: () => void }> {
  const running = new Map<string, string>();
  const done: HostOutcome[] = [];
  // ora and its dependencies load only when there is a terminal to draw on (start-up time).
  // discardStdin off: ora's raw-mode stdin never flows unless something reads stdin, so Ctrl-C was
  // swallowed and never reached fleet's SIGINT handler. The terminal keeps its own Ctrl-C this way.
  const spinner: Ora | undefined = process.stderr.isTTY === true && !printsTraces() ? (await import('ora')).default({ stream: process.stderr, discardStdin: false }).start() : undefined;
  const render = () => {
    if (!spinner) return;
    const count = (status: HostStatus) => done.filter((outcome) => outcome.status === status).length;
    const steps = [...running].slice(0, 4).map(([host, step]) => `${host} (${step})`).join(', ');
    const more = running.size > 4 ? ` +${running.size - 4}` : '';
    spinner.text = `${verb} ${done.length}/${total} hosts · ${count('changed')} changed · ${count('failed') + count('unreachable')} failed${count('not-attempted') ? ` · ${count('not-attempted')} not attempted` : ''}${steps ? ` · ${steps}${more}` : ''}`;
  };
  const sink: EventSink = (event) => {
    if (event.type === 'host-done') {
      running.delete(event.host);
      done.push(event.outcome);
      const retried = (event.outcome.connectAttempts ?? 1) > 1 && !event.outcome.error ? color.dim(` (connected on attempt ${event.outcome.connectAttempts})`) : '';
      const line = `${paintStatus(event.outcome.status)} ${event.host} ${color.dim(formatSeconds(event.outcome.durationMs))}${retried}${event.outcome.error ? ` ${maskCredentials(event.outcome.error.message.split('\n')[0]!)}` : ''}`;
      spinner?.clear();
      process.stderr.write(`${line}\n`);
    } else {
      running.set(event.host, event.type === 'host-step' ? event.step : 'start');
    }
    render();
  };
  render();
  return { sink, stop: () => spinner?.stop() };
}
