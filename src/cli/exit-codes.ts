import type { HostOutcome } from '../engine/events.ts';

/**
 * Exit codes, decided only here.
 * 0  every host succeeded (for `check`: no drift)
 * 1  fleet could not run: bad inventory, playbook or arguments
 * 2  at least one host failed (for `check`: drift found)
 * 2  also: hosts were not attempted because a batch failed above --max-fail-percent
 * 4  at least one host was unreachable, none failed
 * 70 a bug in fleet (please report)
 * 130 interrupted by SIGINT (Ctrl-C), 143 by SIGTERM: steps in flight finished, nothing new started,
 *     the recap says what was done; run the command again to finish (a second signal ends at once)
 */
export const EXIT = { ok: 0, usage: 1, failed: 2, unreachable: 4, internal: 70, interrupted: 130, terminated: 143 } as const;

/** The shell's convention, 128 + the signal's number. */
export function exitCodeForSignal(signal: string): number {
  return signal === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted;
}

export function exitCodeFor(outcomes: readonly HostOutcome[]): number {
  if (outcomes.some((outcome) => outcome.status === 'failed' || outcome.status === 'not-attempted')) return EXIT.failed;
  if (outcomes.some((outcome) => outcome.status === 'unreachable')) return EXIT.unreachable;
  return EXIT.ok;
}
