import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runFleet } from '../../helpers/run-fleet.ts';

const exec = promisify(execFile);
const hasTool = (tool: string) => exec('sh', ['-c', `command -v ${tool}`]).then(() => true, () => false);

describe('fleet schedule', () => {
  it('--install writes a service and a timer that systemd-analyze verify accepts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleet-units-'));
    const run = await runFleet(['schedule', 'inventory.example.yaml', '--every', '20m', '--install', '--unit-dir', dir]);
    expect(run.code, run.stderr).toBe(0);
    const service = await readFile(join(dir, 'fleet-check.service'), 'utf8');
    expect(service).toMatch(/^ExecStart=\S+node \S+\/bin\/fleet\.js check \/\S+\/inventory\.example\.yaml --metrics-file \/var\/lib\/node_exporter\/textfile_collector\/fleet\.prom$/m);
    expect(await readFile(join(dir, 'fleet-check.timer'), 'utf8')).toContain('OnUnitActiveSec=20min');
    if (!(await hasTool('systemd-analyze'))) return;
    const verify = await exec('systemd-analyze', ['verify', '--man=no', join(dir, 'fleet-check.service'), join(dir, 'fleet-check.timer')]).then(
      (result) => ({ code: 0, stderr: result.stderr }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );
    expect(verify).toEqual({ code: 0, stderr: '' });
  });

  it('prints a crontab line, and refuses an interval cron cannot express', async () => {
    const run = await runFleet(['schedule', 'inventory.example.yaml', '--every', '2h']);
    expect(run.stdout).toMatch(/^0 \*\/2 \* \* \* root \S+node \S+fleet\.js check \/\S+inventory\.example\.yaml --metrics-file \S+fleet\.prom >\/dev\/null 2>&1$/m);
    const bad = await runFleet(['schedule', 'inventory.example.yaml', '--every', '7m']);
    expect([bad.code, bad.stderr]).toEqual([1, 'fleet: --every 7m cannot be written as a crontab line; pick a divisor of 60 minutes or of 24 hours\n']);
  });

  it('the shipped alerting rules pass promtool', async () => {
    if (!(await hasTool('promtool'))) return;
    const result = await exec('promtool', ['check', 'rules', 'examples/alerts/fleet.rules.yml']);
    expect(result.stdout).toContain('SUCCESS: 4 rules found');
  });
});
