import { spawn, type ChildProcess } from 'node:child_process';
import { Duplex } from 'node:stream';
import type { SshTarget } from '../inventory/resolve.ts';
import { HostError } from './errors.ts';

/** A running ProxyCommand: the stream ssh2 talks through, and what the command said on stderr. */
export interface ProxyProcess {
  stream: Duplex;
  stderrTail: () => string;
  /** The exit code once the command has ended (null if it was killed by a signal). */
  exited: Promise<number | null>;
}

/**
 * ssh_config's tokens for ProxyCommand, as ssh expands them (ssh_config(5) TOKENS): %h the host name,
 * %p the port, %r the remote user, %% a percent sign. Any other token is refused rather than guessed.
 */
export function expandProxyCommand(command: string, target: Pick<SshTarget, 'host' | 'port' | 'user'>): string {
  return command.replace(/%(.)/g, (token, letter: string) => {
    switch (letter) {
      case 'h':
        return target.host;
      case 'p':
        return String(target.port);
      case 'r':
        return target.user;
      case '%':
        return '%';
      default:
        throw new HostError('unreachable', `${target.host}: ssh_config ProxyCommand "${command}" uses the token ${token}, which fleet does not expand (it knows %h, %p, %r and %%)`);
    }
  });
}

/**
 * Starts the ProxyCommand the way ssh does (`exec COMMAND` under /bin/sh) and returns its stdin and
 * stdout as one stream for the SSH transport. The process ends when the stream does.
 */
export function startProxyCommand(command: string, target: Pick<SshTarget, 'host' | 'port' | 'user'>): ProxyProcess {
  const child: ChildProcess = spawn('/bin/sh', ['-c', `exec ${expandProxyCommand(command, target)}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-2000);
  });
  // A missing /bin/sh or a failed spawn shows up as a closed stream and in stderrTail.
  child.on('error', (error) => {
    stderr += error.message;
  });
  const stream = Duplex.from({ readable: child.stdout!, writable: child.stdin! });
  stream.on('error', () => {});
  stream.on('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code: number | null) => resolve(code)));
  return { stream, stderrTail: () => stderr.trim().split('\n').slice(-3).join(' '), exited };
}
