import { describe, expect, it } from 'vitest';
import { runLocal } from '../../../src/local/run.ts';

describe('runLocal', () => {
  it('gives a program that reads standard input an end of file instead of leaving it waiting', async () => {
    // `read` waits for a line, as ssh-keygen waits at its "Overwrite (y/n)?" prompt.
    const result = await runLocal('sh', ['-c', 'read answer; echo "got [$answer] $?"'], { timeoutMs: 10_000 });
    expect(result).toEqual({ code: 0, stdout: 'got [] 1\n', stderr: '' });
  });

  it('is not upset by a program that exits before reading the input it was given', async () => {
    expect(await runLocal('true', [], { input: 'x'.repeat(1 << 20) })).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('still passes the input it is given', async () => {
    expect((await runLocal('cat', [], { input: 'y\n' })).stdout).toBe('y\n');
  });
});
