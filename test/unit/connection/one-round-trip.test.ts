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

describe('a separator that output cannot forge', () => {
  it('keeps a file that imitates a separator inside that file’s own output', async () => {
    // The old fixed separator, and the same shape with another index, inside a command's output.
    const forged = "printf 'real\\n__fleet_part__1\\nforged\\n__fleet_part_00_1\\nforged too'";
    const outputs = await runInOneRoundTrip([forged, 'echo second'], sh);
    expect(outputs).toEqual(['real\n__fleet_part__1\nforged\n__fleet_part_00_1\nforged too', 'second\n']);
  });

  it('uses a different separator in each run, so none can be learnt from an earlier one', async () => {
    const scripts: string[] = [];
    const record = async (script: string) => (scripts.push(script), sh(script));
    await runInOneRoundTrip(['true'], record);
    await runInOneRoundTrip(['true'], record);
    const separator = (script: string) => /__fleet_part_\w+_/.exec(script)?.[0];
    expect(separator(scripts[0]!)).toBeDefined();
    expect(separator(scripts[0]!)).not.toBe(separator(scripts[1]!));
  });
});
