import { describe, expect, it } from 'vitest';
import { isTransientConnectError, withConnectRetries } from '../../../src/connection/connect-retry.ts';
import { classifyConnectError } from '../../../src/connection/errors.ts';

const errno = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('connection retries', () => {
  it('retries refused and reset connections only, never auth, host key or timeouts', () => {
    expect(isTransientConnectError(errno('ECONNREFUSED'))).toBe(true);
    expect(isTransientConnectError(errno('ECONNRESET'))).toBe(true);
    expect(isTransientConnectError(new Error('Connection lost before handshake'))).toBe(true);
    expect(isTransientConnectError(errno('ETIMEDOUT'))).toBe(false);
    // node-ssh's words for a host that closed the connection before login, under the code ETIMEDOUT.
    expect(isTransientConnectError(errno('ETIMEDOUT', 'No response from server'))).toBe(true);
    expect(isTransientConnectError(new Error('All configured authentication methods failed'))).toBe(false);
    expect(isTransientConnectError(new Error('Host denied (verification failed)'))).toBe(false);
  });

  it('stops after the bounded number of attempts, doubling the wait each time', async () => {
    const calls: number[] = [];
    const started = Date.now();
    await expect(
      withConnectRetries(
        async (n) => {
          calls.push(n);
          throw errno('ECONNREFUSED');
        },
        { attempts: 3, firstDelayMs: 20 },
      ),
    ).rejects.toThrow('ECONNREFUSED');
    expect(calls).toEqual([1, 2, 3]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(20 + 40);
  });

  it('returns the first success and gives up at once on a failure that is not transient', async () => {
    expect(await withConnectRetries(async (n) => (n < 2 ? Promise.reject(errno('ECONNRESET')) : `ok on ${n}`), { attempts: 5, firstDelayMs: 1 })).toBe('ok on 2');
    let calls = 0;
    await expect(withConnectRetries(async () => (calls++, Promise.reject(new Error('auth failed'))), { attempts: 5, firstDelayMs: 1 })).rejects.toThrow('auth failed');
    expect(calls).toBe(1);
  });

  it('names a host that closed the connection before login for what it is, not a timeout', () => {
    expect(classifyConnectError(errno('ETIMEDOUT', 'No response from server'), 'root@10.0.0.1:22', []).message).toBe(
      'unreachable: root@10.0.0.1:22 closed the connection before the login completed (sshd restarting, or its MaxStartups limit dropping concurrent logins)',
    );
    expect(classifyConnectError(errno('ETIMEDOUT', 'connect ETIMEDOUT 10.0.0.1:22'), 'root@10.0.0.1:22', []).message).toBe('unreachable: no answer from root@10.0.0.1:22 before the connect timeout');
  });
});
