import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `condition` until it holds, instead of sleeping a fixed time that is too short on a busy
 * machine and wasted on an idle one. Fails with `what` when the deadline passes.
 */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs / 1000}s waiting for ${what}`);
    await sleep(intervalMs);
  }
}
