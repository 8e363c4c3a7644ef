import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFleet } from '../../helpers/run-fleet.ts';
import { writeTempFiles } from '../../helpers/temp-files.ts';

describe('fleet inventory', () => {
  it('lists the resolved hosts of the example as a table and as JSON', async () => {
    const table = await runFleet(['inventory', 'inventory.example.yaml', '--limit', 'web']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/web2\s+deploy@192\.0\.2\.12:2222\s+production,web\s+sudo\s+env=production,role=web/);
    expect(table.stdout).toContain('2 host(s)');
    const json = JSON.parse((await runFleet(['inventory', 'inventory.example.yaml', '--json'])).stdout) as { hosts: { name: string; ssh: { jump?: { host: string } } }[] };
    expect(json.hosts.find((host) => host.name === 'db1')!.ssh.jump!.host).toBe('bastion.example.com');
  });

  it('shows where each merged setting of one host came from', async () => {
    const result = await runFleet(['inventory', 'inventory.example.yaml', '--host', 'db1', '-e', 'datacenter=ams1']);
    expect(result.stdout).toMatch(/vars\.datacenter\s+ams1\s+-e/);
    expect(result.stdout).toMatch(/labels\.role\s+db\s+group db/);
    expect(result.stdout).toMatch(/ssh\.port\s+22\s+defaults/);
  });

  it('exits 1 with file:line:col for a bad inventory, and for a --limit that matches nothing', async () => {
    const dir = writeTempFiles({ 'bad.yaml': 'hosts:\n  a:\n    address: 10.0.0.1\n    ssh: { prot: 22 }\n' });
    const bad = await runFleet(['inventory', join(dir, 'bad.yaml')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`fleet: ${join(dir, 'bad.yaml')}:4:12: hosts.a.ssh.prot: unknown key; did you mean "port"?\n`);
    const limit = await runFleet(['inventory', 'inventory.example.yaml', '--limit', 'nope']);
    expect(limit.code).toBe(1);
    expect(limit.stderr).toContain('--limit: "nope" matches no host or group');
  });

  it('teaches in --help: every command is listed, and options come with examples', async () => {
    const help = await runFleet(['--help']);
    expect(help.stdout).toMatch(/inventory \[options\] <inventory>/);
    expect(help.stdout).toContain('Exit codes: 0 success');
    const ping = await runFleet(['ping', '--help']);
    expect(ping.stdout).toContain('fleet ping inventory.yaml --limit web --forks 20');
    expect(ping.stdout).toContain('--forks <n>');
  });
});
