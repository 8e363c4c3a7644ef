import type { HostOutcome } from '../engine/events.ts';

/**
 * Exit codes, decided only here.
 * 0  every host succeeded (for `check`: no drift)
 * 1  fleet could not run: bad inventory, playbook or arguments
 * 2  at least one host failed (for `check`: drift found)
 * 4  at least one host was unreachable, none failed
 * 70 a bug in fleet (please report)
 */
export const EXIT = { ok: 0, usage: 1, failed: 2, unreachable: 4, internal: 70 } as const;

export function exitCodeFor(outcomes: readonly HostOutcome[]): number {
  if (outcomes.some((outcome) => outcome.status === 'failed')) return EXIT.failed;
  if (outcomes.some((outcome) => outcome.status === 'unreachable')) return EXIT.unreachable;
  return EXIT.ok;
}
