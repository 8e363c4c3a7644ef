import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFleet } from '../helpers/run-fleet.ts';
import { labUnavailable, useLabHosts, writeLabInventory } from './lab-hosts.ts';

// No lab host answers on this address: connecting to it fails, so "ghost" ends unreachable.
const GHOST = '      ghost:\n        address: 10.213.0.248\n';
const PLAYBOOK = 'tasks:\n  - file: { path: /etc/fleet-retry.txt, content: "retried\\n", mode: "0644" }\n';

describe.skipIf(labUnavailable)('retry files against lab hosts', () => {
  const hosts = useLabHosts([{ name: 'retry-a', index: 146 }]);

  it('apply writes the unreachable host to inventory.retry, and --limit @FILE reruns exactly that host', async () => {
    const { dir, file } = await writeLabInventory(hosts, GHOST);
    await writeFile(join(dir, 'retry-demo.yaml'), PLAYBOOK);
    const retryFile = join(dir, 'inventory.retry');

    const first = await runFleet(['apply', file, join(dir, 'retry-demo.yaml'), '--json']);
    expect(first.code, first.stderr).toBe(4);
    const report = JSON.parse(first.stdout) as { hosts: { host: string; status: string }[]; retryFile: string };
    expect(report.hosts.map((host) => [host.host, host.status])).toEqual([['retry-a', 'changed'], ['ghost', 'unreachable']]);
    expect(report.retryFile).toBe(retryFile);
    expect(await readFile(retryFile, 'utf8')).toBe('ghost\n');

    const rerun = await runFleet(['apply', file, join(dir, 'retry-demo.yaml'), '--limit', `@${retryFile}`, '--json']);
    expect((JSON.parse(rerun.stdout) as typeof report).hosts.map((host) => host.host)).toEqual(['ghost']);

    // Combined with other patterns: the retry file's hosts minus an exclusion, plus a name.
    const combined = await runFleet(['inventory', file, '--limit', `@${retryFile},retry-a,!ghost`, '--json']);
    expect(combined.code, combined.stderr).toBe(0);
    expect(combined.stdout).toContain('"retry-a"');
    expect(combined.stdout).not.toContain('"ghost"');
  });

  it('ping says where the retry file is in its recap; --retry-file moves it and --no-retry-file writes none', async () => {
    const { dir, file } = await writeLabInventory(hosts, GHOST);
    const ping = await runFleet(['ping', file]);
    expect(ping.code).toBe(4);
    expect(ping.stdout).toContain(`1 host(s) to retry (ghost), written to ${join(dir, 'inventory.retry')}`);
    expect(ping.stdout).toContain(`--limit @${join(dir, 'inventory.retry')}`);

    const elsewhere = join(dir, 'elsewhere.retry');
    await runFleet(['ping', file, '--retry-file', elsewhere]);
    expect(await readFile(elsewhere, 'utf8')).toBe('ghost\n');

    await rm(join(dir, 'inventory.retry'));
    const none = await runFleet(['ping', file, '--no-retry-file', '--json']);
    expect((JSON.parse(none.stdout) as { retryFile: string | null }).retryFile).toBeNull();
    await expect(readFile(join(dir, 'inventory.retry'), 'utf8')).rejects.toThrow('ENOENT');

    // A run where every host succeeds writes no retry file.
    const healthy = await runFleet(['ping', file, '--limit', 'retry-a']);
    expect(healthy.code).toBe(0);
    expect(healthy.stdout).not.toContain('to retry');
    await expect(readFile(join(dir, 'inventory.retry'), 'utf8')).rejects.toThrow('ENOENT');
  });

  it('refuses a retry file naming a host that is not in the inventory', async () => {
    const { dir, file } = await writeLabInventory(hosts);
    await writeFile(join(dir, 'stale.retry'), 'retry-a\nweb9\n');
    const run = await runFleet(['ping', file, '--limit', `@${join(dir, 'stale.retry')}`]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${join(dir, 'stale.retry')}:2:1: "web9" is not a host of the inventory`);
  });
});
