import { describe, expect, it } from 'vitest';
import { runInOneRoundTrip } from '../../../src/connection/one-round-trip.ts';
import { runLocal } from '../../../src/local/run.ts';

// A real POSIX shell plays the host: the script is what fleet sends over SSH.
const sh = async (script: string) => (await runLocal('sh', ['-c', script])).stdout;

describe('several commands in one round trip', () => {
  it('returns each output byte for byte, also one without a final newline, with stderr included', async () => {
    const outputs = await runInOneRoundTrip(["printf 'no newline at the end'", 'echo two; echo err >&2', 'true', "printf 'a\\n\\n'"], sh);
    expect(outputs).toEqual(['no newline at the end', 'two\nerr\n', '', 'a\n\n']);
  });

  it('in parallel: the same outputs in the same order, with the shell variables set before it', async () => {
    const commands = ['sleep 0.3; echo slow', "printf 'no newline'", 'echo "$flag"; echo err >&2', 'true'];
    const started = Date.now();
    const outputs = await runInOneRoundTrip(commands, (script) => sh(`flag=set\n${script}`), { parallel: true });
    expect(outputs).toEqual(['slow\n', 'no newline', 'set\nerr\n', '']);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('sends nothing when there is nothing to run', async () => {
    let calls = 0;
    expect(await runInOneRoundTrip([], async () => (calls++, ''))).toEqual([]);
    expect(calls).toBe(0);
  });
});
