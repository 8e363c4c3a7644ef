import { isClosedBeforeLogin } from './connect-retry.ts';

/** What went wrong with a host, in the words the recap uses. */
export type HostFailureKind = 'unreachable' | 'auth' | 'host-key' | 'sudo' | 'become' | 'command' | 'timeout' | 'artifact' | 'verify' | 'interrupted';

export class HostError extends Error {
  override name = 'HostError';
  /** What the task had done or planned before it failed, kept for the report. */
  result?: unknown;
  /** How many times fleet tried to connect before this failure (transient failures are retried). */
  connectAttempts?: number;
  /** A host key this failed connection recorded in known_hosts (trust on first use), to be shown. */
  recordedHostKey?: string;
  constructor(
    readonly kind: HostFailureKind,
    message: string,
  ) {
    super(message);
  }
}

/** Maps the errors ssh2 and the socket layer raise to a kind and a sentence an operator can act on. */
export function classifyConnectError(error: unknown, where: string, methods: string[]): HostError {
  if (error instanceof HostError) return error;
  const err = error as NodeJS.ErrnoException & { level?: string };
  const message = String(err?.message ?? error);
  if (isClosedBeforeLogin(error)) {
    return new HostError('unreachable', `unreachable: ${where} closed the connection before the login completed (sshd restarting, or its MaxStartups limit dropping concurrent logins)`);
  }
  switch (err?.code) {
    case 'ECONNREFUSED':
      return new HostError('unreachable', `unreachable: connection refused by ${where} (is sshd running on that port?)`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new HostError('unreachable', `unreachable: no route to ${where}`);
    case 'ETIMEDOUT':
      return new HostError('unreachable', `unreachable: no answer from ${where} before the connect timeout`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new HostError('unreachable', `unreachable: cannot resolve the name in ${where}`);
  }
  if (/timed out while waiting for handshake/i.test(message)) {
    return new HostError('unreachable', `unreachable: no SSH handshake from ${where} before the connect timeout`);
  }
  if (err?.level === 'client-authentication' || /authentication methods failed/i.test(message)) {
    return new HostError('auth', `authentication refused by ${where}; tried: ${methods.join(', ') || 'no method (no key, agent or password available)'}`);
  }
  return new HostError('unreachable', `cannot connect to ${where}: ${message}`);
}
