import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFleet } from '../../helpers/run-fleet.ts';
import { writeTempFiles } from '../../helpers/temp-files.ts';

describe('fleet exit codes for failures of fleet itself', () => {
  it('exits 70 and asks for a report when a command throws something unexpected (a bug)', async () => {
    // A preloaded module makes the first write to stdout throw a TypeError: an unexpected exception in
    // the middle of a command, the way a real bug surfaces. Nothing in fleet may turn it into 0, 1 or 2.
    const dir = writeTempFiles({ 'bug.mjs': "process.stdout.write = () => { throw new TypeError('simulated bug: cannot read properties of undefined'); };\n" });
    const run = await runFleet(['inventory', 'inventory.example.yaml'], { NODE_OPTIONS: `--import=${join(dir, 'bug.mjs')}` });
    expect(run.code).toBe(70);
    expect(run.stderr).toMatch(/^fleet: internal error, please report it with the command you ran:\nTypeError: simulated bug: cannot read properties of undefined\n\s+at /);
  });

  it('exits 1, not 70, for a usage error', async () => {
    const run = await runFleet(['inventory', 'no-such-inventory.yaml']);
    expect(run.code).toBe(1);
    expect(run.stderr).not.toContain('internal error');
  });
});
