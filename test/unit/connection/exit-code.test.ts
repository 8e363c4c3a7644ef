import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { exitCodeOf, withRemoteTimeout } from '../../../src/connection/ssh.ts';

// A real shell plays sshd's session: what it reports is the exit status or the signal of the process it started.
describe('the exit code of a command that a signal ended', () => {
  it('is 128 + the signal, as the shell reported it before timeout was exec\'d', () => {
    const run = spawnSync('sh', ['-c', withRemoteTimeout('sleep 5', 1000, { replaceShell: true })]);
    // The exec'd timeout kills itself at the deadline: sshd sends exit-signal KILL, not a code.
    expect(run.signal).toBe('SIGKILL');
    expect(exitCodeOf({ code: run.status, signal: run.signal })).toBe(137);
  });

  it('keeps a code and calls a channel with neither 255', () => {
    expect(exitCodeOf({ code: 3, signal: null })).toBe(3);
    expect(exitCodeOf({ code: null, signal: 'SIGTERM' })).toBe(143);
    expect(exitCodeOf({ code: null, signal: null })).toBe(255);
  });
});
