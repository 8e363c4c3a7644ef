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

  it('keeps each command to itself: variables set before the script reach all, one command\'s exit, cd or variables reach none, and none reads the input', async () => {
    const commands = ['echo "$flag"; own=1; cd /; exit 3', 'echo "${own:-unset} $PWD"', 'cat; echo "read: $?"'];
    const outputs = await runInOneRoundTrip(commands, async (script) => (await runLocal('sh', ['-c', `flag=set; cd /tmp\n${script}`], { input: 'the session input\n' })).stdout);
    expect(outputs).toEqual(['set\n', 'unset /tmp\n', 'read: 0\n']);
  });

  it("runs a command that shares the shell in the script's own shell, and the isolated ones still apart from it", async () => {
    const commands = [{ command: 'shared=1; set -- a b', sharesShell: true as const }, { command: 'echo "${shared:-unset} $#"', sharesShell: true as const }, 'echo "$shared"; shared=2; cd /', 'echo "$shared $PWD"; cat'];
    const outputs = await runInOneRoundTrip(commands, async (script) => (await runLocal('sh', ['-c', `cd /tmp\n${script}`], { input: 'the session input\n' })).stdout);
    expect(outputs).toEqual(['', '1 2\n', '1\n', '1 /tmp\n']);
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
