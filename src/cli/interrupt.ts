import { exitCodeForSignal } from './exit-codes.ts';

export interface Interruption {
  /** Aborted at the first SIGINT or SIGTERM, with the signal's name as the reason. */
  signal: AbortSignal;
  /** The exit code the run ends with when it was interrupted, else undefined. */
  exitCode(): number | undefined;
  dispose(): void;
}

/**
 * The first Ctrl-C (or SIGTERM) asks the run to stop: no host and no step starts after it, the
 * steps in flight finish (an upload is installed or removed, never left half), and the command
 * prints its recap. A second one ends the process at once.
 */
export function watchInterruptions(): Interruption {
  const controller = new AbortController();
  let received: string | undefined;
  const onSignal = (name: NodeJS.Signals) => {
    if (received) {
      process.stderr.write(`\nfleet: ${name} again: stopping now; hosts in the middle of a step may need fleet apply again\n`);
      process.exit(exitCodeForSignal(name));
    }
    received = name;
    process.stderr.write(`\nfleet: ${name}: starting nothing new; the steps in flight finish, then the recap (${name === 'SIGINT' ? 'Ctrl-C' : name} again stops at once)\n`);
    controller.abort(name);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    exitCode: () => (received ? exitCodeForSignal(received) : undefined),
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
