import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { runFleet } from '../../helpers/run-fleet.ts';
import { writeTempFiles } from '../../helpers/temp-files.ts';
import { isAlive } from '../../helpers/process-alive.ts';

describe('runFleet', () => {
  it('kills a run that outlives its timeout and fails saying so, with what the run printed', async () => {
    // A stand-in for a hung fleet: it records its PID, prints a line, and never exits by itself.
    const dir = writeTempFiles({ 'hang.mjs': "import { writeFileSync } from 'node:fs';\nwriteFileSync(process.argv[2], String(process.pid));\nconsole.log('still working');\nsetInterval(() => {}, 1000);\n" });
    const pidFile = join(dir, 'pid');
    // 5 s: time for a cold Node to start and print on a loaded machine, before the kill.
    await expect(runFleet([pidFile], {}, { entry: join(dir, 'hang.mjs'), timeoutMs: 5000 })).rejects.toThrow(/did not finish within 5 s and was killed\.\nstdout:\nstill working/);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    // The kill is delivered before execFile reports; allow the kernel a moment to reap it.
    const deadline = Date.now() + 5000;
    while (isAlive(pid) && Date.now() < deadline) await sleep(50);
    expect(isAlive(pid)).toBe(false);
  });
});
