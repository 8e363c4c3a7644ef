import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runFleet } from '../../helpers/run-fleet.ts';
import { requireTool } from '../../helpers/required-tool.ts';

const exec = promisify(execFile);

describe('fleet schedule', () => {
  it('--install writes a service and a timer that systemd-analyze verify accepts', async (context) => {
    await requireTool(context, 'systemd-analyze', 'apt-get install systemd');
    const dir = await mkdtemp(join(tmpdir(), 'fleet-units-'));
    // A systemctl that records its calls: a unit folder of its own must never touch this machine's systemd.
    const bin = await mkdtemp(join(tmpdir(), 'fleet-bin-'));
    await writeFile(join(bin, 'systemctl'), `#!/bin/sh\necho "$@" >> ${join(bin, 'calls')}\n`);
    await chmod(join(bin, 'systemctl'), 0o755);
    const run = await runFleet(['schedule', 'inventory.example.yaml', '--every', '20m', '--install', '--unit-dir', dir], { PATH: `${bin}:${process.env.PATH}` });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(
      `wrote ${join(dir, 'fleet-check.service')} and fleet-check.timer\n` +
        `not enabled: ${dir} is not /etc/systemd/system; copy the units there, then run systemctl daemon-reload && systemctl enable --now fleet-check.timer\n`,
    );
    expect(existsSync(join(bin, 'calls'))).toBe(false);
    const service = await readFile(join(dir, 'fleet-check.service'), 'utf8');
    expect(service).toMatch(/^ExecStart=\S+node \S+\/bin\/fleet\.js check \/\S+\/inventory\.example\.yaml --metrics-file \/var\/lib\/node_exporter\/textfile_collector\/fleet\.prom$/m);
    expect(await readFile(join(dir, 'fleet-check.timer'), 'utf8')).toContain('OnUnitActiveSec=20min');
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

  it('the shipped alerting rules pass promtool', async (context) => {
    await requireTool(context, 'promtool', 'apt-get install prometheus');
    const result = await exec('promtool', ['check', 'rules', 'examples/alerts/fleet.rules.yml']);
    expect(result.stdout).toContain('SUCCESS: 4 rules found');
  });
});
