import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Connection } from '../../src/connection/ssh.ts';
import { labKeyPath } from '../../src/lab/layout.ts';
import { writeAtomically } from '../../src/resources/file.ts';
import { runFleet } from '../helpers/run-fleet.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { labUnavailable, onLabHost, useLabHosts, writeLabInventory } from './lab-hosts.ts';

const PLAYBOOK = `tasks:
  - directory: { path: /etc/demo, mode: "0750", owner: root, group: adm }
  - file: { path: "/etc/demo/{{host.name}}.txt", content: "static\\n", mode: "0640" }
  - template: { src: demo.conf.hbs, dest: /etc/demo/demo.conf }
    tags: [config]
`;
const TEMPLATE = 'name={{host.name}}\nport={{vars.port}}\n';

interface Report {
  hosts: { host: string; status: string; error?: { message: string }; result?: { changes: { resource: string; action: string; reason: string }[] } }[];
}

describe.skipIf(labUnavailable)('fleet apply against lab hosts', () => {
  const hosts = useLabHosts([
    { name: 'apply-a', index: 104 },
    { name: 'apply-b', index: 105 },
  ]);

  async function setUp(extraInventory = '', hostList = hosts) {
    const { dir, file } = await writeLabInventory(hostList, extraInventory);
    await mkdir(join(dir, 'playbooks'));
    await mkdir(join(dir, 'templates'));
    await writeFile(join(dir, 'playbooks', 'demo.yaml'), PLAYBOOK);
    await writeFile(join(dir, 'templates', 'demo.conf.hbs'), TEMPLATE);
    return { dir, file };
  }
  const apply = async (file: string, ...args: string[]) => {
    const run = await runFleet(['apply', file, 'demo', '--json', '-e', 'port=9100', ...args]);
    return { code: run.code, report: JSON.parse(run.stdout) as Report, stderr: run.stderr };
  };
  const onHost = (index: number, command: string) => onLabHost(hosts[index]!, command);

  it('creates, then changes nothing; check mode reports drift and writes nothing; apply repairs it', async () => {
    const { file } = await setUp();
    const first = await apply(file);
    expect(first.code).toBe(0);
    expect(first.report.hosts.map((host) => host.status)).toEqual(['changed', 'changed']);
    expect(await onHost(0, 'stat -c "%a %U:%G" /etc/demo /etc/demo/apply-a.txt; cat /etc/demo/demo.conf')).toBe('750 root:adm\n640 root:root\nname=apply-a\nport=9100\n');

    const second = await apply(file);
    expect(second.report.hosts.map((host) => host.status)).toEqual(['ok', 'ok']);
    expect(second.report.hosts[0]!.result!.changes.every((change) => change.action === 'same')).toBe(true);

    await onHost(0, 'echo tampered > /etc/demo/demo.conf; chmod 600 /etc/demo/apply-a.txt');
    const before = await onHost(0, 'stat -c "%Y %a" /etc/demo/demo.conf /etc/demo/apply-a.txt; cat /etc/demo/demo.conf');
    const check = await runFleet(['apply', file, 'demo', '--check', '--diff', '-e', 'port=9100', '--limit', 'apply-a']);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('apply-a: update file /etc/demo/demo.conf (content differs)');
    expect(check.stdout).toContain('apply-a: update file /etc/demo/apply-a.txt (mode 0600 -> 0640)');
    expect(check.stdout).toMatch(/-tampered\n\+name=apply-a\n\+port=9100/);
    expect(check.stdout).toContain('CHECK RECAP (nothing was changed)');
    expect(await onHost(0, 'stat -c "%Y %a" /etc/demo/demo.conf /etc/demo/apply-a.txt; cat /etc/demo/demo.conf')).toBe(before);

    const repair = await apply(file, '--limit', 'apply-a');
    expect(repair.report.hosts[0]!.result!.changes.filter((change) => change.action !== 'same').map((change) => change.resource)).toEqual([
      'file /etc/demo/apply-a.txt',
      'file /etc/demo/demo.conf',
    ]);
    expect(await onHost(0, 'cat /etc/demo/demo.conf; ls -A /etc/demo /tmp | grep -c fleet || true')).toBe('name=apply-a\nport=9100\n0\n');
  });

  it('--tags runs only the tagged tasks, and a failing step is named', async () => {
    const { file } = await setUp();
    await onHost(1, 'rm -rf /etc/demo');
    const check = await runFleet(['apply', file, 'demo', '--check', '--tags', 'config', '--limit', 'apply-b', '--json', '-e', 'port=1']);
    const changes = (JSON.parse(check.stdout) as Report).hosts[0]!.result!.changes;
    expect(changes.map((change) => change.resource)).toEqual(['file /etc/demo/demo.conf']);
    // Without its folder the write fails, and the host says which step.
    const run = await runFleet(['apply', file, 'demo', '--tags', 'config', '--limit', 'apply-b', '--json', '-e', 'port=1']);
    expect(run.code).toBe(2);
    expect((JSON.parse(run.stdout) as Report).hosts[0]!.error!.message).toContain('write /etc/demo/demo.conf: exit code 1');
  });

  it('fails before connecting when a template variable is missing, and touches no host', async () => {
    const { file } = await setUp();
    await onHost(1, 'rm -rf /etc/demo');
    const run = await runFleet(['apply', file, 'demo']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/host apply-a: .*templates\/demo\.conf\.hbs:2:8: variable "port" is not defined for this host/);
    expect(await onHost(1, 'test -e /etc/demo && echo exists || echo absent')).toBe('absent\n');
  });

  it('an unreachable host is reported and the others still converge', async () => {
    const { file } = await setUp(`hosts:\n  gone:\n    address: 10.213.0.251\n    ssh: { connect_timeout: 2 }\n`, [hosts[1]!]);
    const run = await runFleet(['apply', file, 'demo', '-e', 'port=2']);
    expect(run.code).toBe(4);
    expect(run.stdout).toMatch(/gone\s+UNREACHABLE\s+ok=0\s+changed=0\s+[\d.]+s\s+connect: unreachable: no SSH handshake from root@10\.213\.0\.251:22/);
    expect(run.stdout).toMatch(/apply-b\s+(changed|ok)\s+ok=\d\s+changed=\d/);
    expect(await onHost(1, 'cat /etc/demo/demo.conf')).toBe('name=apply-b\nport=2\n');
  });

  it('after changes the host is read again: a change that did not take is reported, not assumed', async () => {
    const { dir, file } = await setUp();
    // A "validator" that edits what it checks stands in for anything that rewrites a file behind fleet's back.
    await writeFile(join(dir, 'playbooks', 'sneaky.yaml'), 'tasks:\n  - file: { path: /etc/sneaky.conf, content: "port=1\\n", validate: "sed -i s/1/2/ %s" }\n');
    const run = await runFleet(['apply', file, 'sneaky', '--limit', 'apply-a', '--json']);
    expect(run.code).toBe(2);
    expect((JSON.parse(run.stdout) as Report).hosts[0]!.error!.message).toBe('after apply, still different: file /etc/sneaky.conf (content differs)');
  });

  it('a write cut off mid-upload leaves the old file whole', async () => {
    await onHost(0, 'mkdir -p /srv && printf "old content\\n" > /srv/big.dat');
    const connection = await Connection.open({
      host: hosts[0]!.address, port: 22, user: 'root', identityFiles: [labKeyPath()], connectTimeoutMs: 5000, hostKeyChecking: 'off', knownHostsFile: '/dev/null',
    });
    const write = writeAtomically(connection, { path: '/srv/big.dat', content: 'x'.repeat(64 * 1024 * 1024), mode: '0644', owner: 'root', group: 'root' });
    // Cut the session once the upload has started landing on the host, and well before it ends.
    const uploaded = () => onHost(0, 'cat /tmp/.fleet-upload-* 2>/dev/null | wc -c');
    let landed = 0;
    await waitFor('the upload to reach the host', async () => (landed = Number(await uploaded())) > 0, 30_000, 10);
    connection.close();
    await expect(write).rejects.toThrow();
    expect(landed).toBeLessThan(64 * 1024 * 1024);
    expect(await onHost(0, 'cat /srv/big.dat; ls -A /srv')).toBe('old content\nbig.dat\n');
  });
});

describe('fleet apply input errors', () => {
  it('an invalid playbook fails before connecting, with file:line:col', async () => {
    const { dir, file } = await writeLabInventory([], 'hosts:\n  h:\n    address: 10.213.0.252\n');
    await mkdir(join(dir, 'playbooks'));
    await writeFile(join(dir, 'playbooks', 'bad.yaml'), 'tasks:\n  - file: { path: relative/path, content: x }\n');
    const run = await runFleet(['apply', file, 'bad']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`fleet: ${join(dir, 'playbooks', 'bad.yaml')}:2:19: tasks.0.file.path: expected an absolute path, found "relative/path"\n`);
    expect(await readFile(file, 'utf8')).toContain('10.213.0.252');
  });
});
