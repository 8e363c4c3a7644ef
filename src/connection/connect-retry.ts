import { setTimeout as sleep } from 'node:timers/promises';

/** How often, and how patiently, a connection that fails for a passing reason is tried again. */
export interface RetryPolicy {
  attempts: number;
  firstDelayMs: number;
}

// 0.5 + 1 + 2 + 4 s: long enough for sshd restarting or a host finishing its boot, short enough
// that a host that is really down costs under ten seconds.
export const CONNECT_RETRY: RetryPolicy = { attempts: 5, firstDelayMs: 500 };

/**
 * Failures worth another attempt: nobody listening yet (refused) and a connection reset, cut or
 * closed by the host before the login completed (sshd restarting, or MaxStartups dropping a burst of
 * logins). Never authentication or host key failures, and never timeouts (each would cost a whole
 * connect timeout again).
 */
export function isTransientConnectError(error: unknown): boolean {
  const err = error as NodeJS.ErrnoException | undefined;
  if (err?.code === 'ECONNREFUSED' || err?.code === 'ECONNRESET' || err?.code === 'EPIPE') return true;
  if (isClosedBeforeLogin(error)) return true;
  return /Connection lost before handshake|read ECONNRESET|socket hang up/i.test(String(err?.message ?? ''));
}

/**
 * node-ssh rejects with this when the connection closes before it is ready and ssh2 raised no error
 * of its own: the host ended the TCP connection cleanly (node-ssh's connect, its 'close' listener).
 * It carries the code ETIMEDOUT, but no time ran out.
 */
export function isClosedBeforeLogin(error: unknown): boolean {
  const err = error as NodeJS.ErrnoException | undefined;
  return err?.code === 'ETIMEDOUT' && err.message === 'No response from server';
}

/** Runs `attempt(n)` until it succeeds, fails for good, or the attempts are used up, waiting twice as long each time. */
export async function withConnectRetries<T>(attempt: (n: number) => Promise<T>, policy: RetryPolicy = CONNECT_RETRY): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (n >= policy.attempts || !isTransientConnectError(error)) throw error;
      await sleep(policy.firstDelayMs * 2 ** (n - 1));
    }
  }
}
