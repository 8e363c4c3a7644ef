import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readLabState } from '../../src/lab/lab.ts';
import { LAB_UP_INDEXES } from '../../src/lab/layout.ts';
import { isOurNspawn } from '../../src/lab/processes.ts';
import { runFleet } from '../helpers/run-fleet.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { labUnavailable } from './lab-hosts.ts';

const FLEET = fileURLToPath(new URL('../../bin/fleet.js', import.meta.url));
const addressesIn = async (inventory: string) => [...(await readFile(inventory, 'utf8')).matchAll(/address: 10\.213\.0\.(\d+)/g)].map((match) => Number(match[1]));

describe.skipIf(labUnavailable)('fleet lab up / status / down as an operator runs them', () => {
  let dir: string;
  afterAll(async () => {
    await runFleet(['lab', 'down']);
  });

  it('boots hosts and a monitor in its own address range, refuses a second up, and down stops them all', async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleet-lab-command-'));
    const inventory = join(dir, 'lab.yaml');
    const up = await runFleet(['lab', 'up', '1', '--inventory', inventory]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/^1 lab host\(s\) and the monitor up in [\d.]+s; inventory written to /);
    // Never the test suite's addresses (.100 and above), so both can run at once.
    expect(await addressesIn(inventory)).toEqual([LAB_UP_INDEXES.first, LAB_UP_INDEXES.first + 1]);
    const ping = await runFleet(['ping', inventory]);
    expect(ping.code, ping.stdout).toBe(0);
    expect(ping.stdout).toMatch(/monitor\s+ok/);
    expect(ping.stdout).toMatch(/lab1\s+ok/);
    expect((await runFleet(['lab', 'status'])).stdout).toMatch(/monitor\s+10\.213\.0\.10\s+\d+\s+running[\s\S]*lab1\s+10\.213\.0\.11\s+\d+\s+running/);

    const again = await runFleet(['lab', 'up', '1', '--inventory', inventory]);
    expect([again.code, again.stderr]).toEqual([1, 'fleet: the lab is already up (monitor, lab1); run fleet lab down first\n']);

    const { hosts } = await readLabState();
    const down = await runFleet(['lab', 'down']);
    expect([down.code, down.stdout]).toEqual([0, '2 lab host(s) stopped\n']);
    expect(hosts.filter((host) => isOurNspawn(host.pid, host.name))).toEqual([]);
    expect((await runFleet(['lab', 'status'])).stdout).toBe('the lab is down\n');
  });

  it('refuses more hosts than its address range holds', async () => {
    const run = await runFleet(['lab', 'up', '90']);
    expect([run.code, run.stderr]).toEqual([1, 'fleet: lab up 90: expected a number of hosts from 1 to 89 (addresses .11 to .99; the test suite uses the rest)\n']);
  });

  it('a run aborted while booting leaves hosts that the next up stops before reusing their addresses', async () => {
    // An operator's Ctrl-C at the worst moment, made certain: SIGKILL once the first hosts run.
    const aborted = spawn(process.execPath, [FLEET, 'lab', 'up', '3', '--inventory', join(dir, 'aborted.yaml')], { stdio: 'ignore', env: process.env });
    await waitFor('the aborted run to boot two hosts', async () => (await readLabState()).hosts.length >= 2, 60_000, 20);
    aborted.kill('SIGKILL');
    await new Promise((resolve) => aborted.once('exit', resolve));
    const left = (await readLabState()).hosts.filter((host) => isOurNspawn(host.pid, host.name));
    expect(left.length).toBeGreaterThanOrEqual(2);

    const inventory = join(dir, 'after.yaml');
    const up = await runFleet(['lab', 'up', '2', '--inventory', inventory]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain(`stopped ${left.length} host(s) left by an aborted fleet lab up: ${left.map((host) => host.name).join(', ')}`);
    expect(left.filter((host) => isOurNspawn(host.pid, host.name))).toEqual([]);
    // The new hosts own their addresses: each answers, and as itself.
    const ping = await runFleet(['ping', inventory, '--json']);
    expect(ping.code, ping.stdout).toBe(0);
    const report = JSON.parse(ping.stdout) as { hosts: { host: string; status: string }[] };
    expect(report.hosts.map((host) => `${host.host} ${host.status}`).sort()).toEqual(['lab1 ok', 'lab2 ok', 'monitor ok']);
    expect((await runFleet(['lab', 'down'])).stdout).toBe('3 lab host(s) stopped\n');
  });
});
