import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Connection } from '../../src/connection/ssh.ts';
import { enableLabPrometheus, runInLabHost } from '../../src/lab/lab.ts';
import { LAB_ACCOUNTS, labKeyPath } from '../../src/lab/layout.ts';
import { runFleet } from '../helpers/run-fleet.ts';
import { labUnavailable, useLabHosts } from './lab-hosts.ts';
import { useLabMirror } from './mirror.ts';

interface Report {
  bootstrap: { host: string; status: string; error?: { message: string; step: string }; result?: { loggedInAs: string; recordedHostKey?: string; changes: { resource: string; action: string }[] } }[];
  hosts: { host: string; status: string }[];
  registration: { host: string; status: string; result?: { targets: { instance: string; job: string; health: string }[] } }[];
}

describe.skipIf(labUnavailable)('fleet bootstrap of fresh lab VMs (root with a password only)', () => {
  const hosts = useLabHosts([
    { name: 'boot-mon', index: 118 },
    { name: 'boot-a', index: 119, variant: 'fresh' },
    { name: 'boot-b', index: 120, variant: 'fresh' },
  ]);
  const mirror = useLabMirror();
  let dir: string;
  beforeAll(async () => {
    if (labUnavailable) return;
    await enableLabPrometheus(hosts[0]!);
    dir = await mkdtemp(join(tmpdir(), 'fleet-bootstrap-'));
  });

  /** The inventory an operator writes for new VMs: the deploy user "ops" with the lab key; root's password for the first login. */
  const inventory = async (bootstrapSettings = 'user: root, password_env: ROOT_PASSWORD, harden_sshd: true', deployUser = 'ops') => {
    // Each inventory has its own known_hosts, so each test sees the first contact with a host.
    const id = Math.random().toString(36).slice(2, 8);
    const file = join(dir, `inventory-${id}.yaml`);
    await writeFile(
      file,
      `prometheus:
  scrape_interval: 5s
  servers:
    - host: boot-mon
defaults:
  ssh: { user: ${deployUser}, identity_file: ${labKeyPath()}, agent: false, connect_timeout: 5, known_hosts_file: ${join(dir, `known_hosts-${id}`)} }
  bootstrap: { ${bootstrapSettings} }
  vars:
    artifacts: { mirror: "${mirror.url}" }
    node_exporter: { version: "1.5.0" }
    alloy: { version: 0.1.0-standin }
hosts:
  boot-mon:
    address: ${hosts[0]!.address}
    ssh: { user: root, host_key_checking: accept-new }
  boot-a:
    address: ${hosts[1]!.address}
  boot-b:
    address: ${hosts[2]!.address}
`,
    );
    return file;
  };
  const bootstrap = async (file: string, password: string, ...args: string[]) => {
    const run = await runFleet(['bootstrap', file, '--json', ...args], { ...mirror.env, ROOT_PASSWORD: password });
    return { code: run.code, report: JSON.parse(run.stdout) as Report, stderr: run.stderr };
  };
  const onHost = async (index: number, command: string) => (await runInLabHost(hosts[index]!, command)).stdout;
  const rootPasswordLogin = (index: number) =>
    Connection.open({ host: hosts[index]!.address, port: 22, user: 'root', identityFiles: [], connectTimeoutMs: 5000, hostKeyChecking: 'off', knownHostsFile: '/dev/null' }, { password: LAB_ACCOUNTS.rootPassword }).then(
      (connection) => (connection.close(), 'accepted'),
      (error: Error) => `refused: ${error.message}`,
    );

  it('under strict, a host whose key is unknown gets no password until the operator pins the key or asks for trust on first use by name', async () => {
    const file = await inventory();
    const knownHosts = (await readFile(file, 'utf8')).match(/known_hosts_file: (\S+) }/)![1]!;
    const passwordAttempts = () => onHost(1, 'journalctl -u ssh --no-pager -o cat | grep -cE "(Accepted|Failed) password" || true');
    const before = await passwordAttempts();
    const refused = await bootstrap(file, LAB_ACCOUNTS.rootPassword, '--limit', 'boot-a', '--no-apply');
    expect(refused.code).toBe(4);
    const error = refused.report.bootstrap[0]!.error!;
    expect(error.message).toMatch(/^host key for 10\.213\.0\.119 is unknown: the host offered ssh-ed25519 SHA256:\S+ Check it, then add it with ssh-keyscan/);
    expect(error.message).toContain('fleet bootstrap sends no password to a host whose key it cannot check');
    expect(error.message).toContain('--trust-new-host-keys');
    // Nothing recorded, no password tried, nothing changed.
    expect(existsSync(knownHosts)).toBe(false);
    expect(await passwordAttempts()).toBe(before);
    expect(await onHost(1, 'getent passwd ops || echo none')).toBe('none\n');

    // Pinned by the operator (the host's own key in known_hosts): strict goes ahead without the flag.
    const hostKey = (await onHost(1, 'cat /etc/ssh/ssh_host_ed25519_key.pub')).split(' ').slice(0, 2).join(' ');
    await writeFile(knownHosts, `${hosts[1]!.address} ${hostKey}\n`);
    const pinned = await bootstrap(file, 'not-the-password', '--limit', 'boot-a', '--no-apply');
    expect(pinned.report.bootstrap[0]!.error!.message).toMatch(/authentication refused by root@10\.213\.0\.119:22; tried: password/);
    // The journal does see password attempts: the count above would have caught one.
    let after = before;
    for (const deadline = Date.now() + 5000; after === before && Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 200))) after = await passwordAttempts();
    expect(Number(after)).toBeGreaterThan(Number(before));

    // Asked for by name: the key is recorded and printed, before any password goes out.
    const trusting = await inventory();
    const human = await runFleet(['bootstrap', trusting, '--limit', 'boot-a', '--no-apply', '--trust-new-host-keys'], { ...mirror.env, ROOT_PASSWORD: 'not-the-password' });
    expect(human.code).toBe(4);
    expect(human.stdout).toMatch(/boot-a\s+UNREACHABLE.*the host key ssh-ed25519 SHA256:\S+ was recorded in \S+known_hosts-\w+ on this first contact/);
  });

  it('a wrong password gives a clear error and changes nothing', async () => {
    const file = await inventory();
    const run = await bootstrap(file, 'not-the-password', '--limit', 'boot-a', '--trust-new-host-keys');
    expect(run.code).toBe(4);
    expect(run.report.bootstrap[0]!.error!.message).toMatch(/authentication refused by root@10\.213\.0\.119:22; tried: password/);
    expect(JSON.stringify(run.report) + run.stderr).not.toContain('not-the-password');
    expect(await onHost(1, 'getent passwd ops || echo none; ls /etc/sudoers.d | grep -c fleet-ops || true')).toBe('none\n0\n');
  });

  it('one command turns a root-password VM into a key-only host running the agents, registered and scraped', async () => {
    const file = await inventory();
    const run = await bootstrap(file, LAB_ACCOUNTS.rootPassword, '--limit', 'boot-a', '--trust-new-host-keys');
    expect(run.code, JSON.stringify(run.report, null, 1)).toBe(0);
    const booted = run.report.bootstrap[0]!;
    expect(booted.result!.loggedInAs).toBe('initial');
    expect(booted.result!.recordedHostKey).toMatch(/^ssh-ed25519 SHA256:/);
    expect(booted.result!.changes.filter((change) => change.action !== 'same').map((change) => change.resource)).toEqual([
      'user ops',
      'directory /home/ops/.ssh',
      'file /home/ops/.ssh/authorized_keys',
      'file /etc/sudoers.d/fleet-ops',
      'sshd hardening',
    ]);
    expect(await rootPasswordLogin(1)).toMatch(/^refused: authentication refused by root@/);
    expect(await onHost(1, 'stat -c "%a %U" /home/ops/.ssh/authorized_keys /etc/sudoers.d/fleet-ops; systemctl is-active node_exporter alloy')).toBe('600 ops\n440 root\nactive\nactive\n');
    expect(run.report.hosts.map((host) => `${host.host} ${host.status}`)).toEqual(['boot-a changed']);
    const targets = run.report.registration[0]!.result!.targets.filter((target) => target.instance === 'boot-a');
    expect(targets.map((target) => `${target.job} ${target.health}`)).toEqual(['fleet-node up', 'fleet-alloy up']);

    const again = await bootstrap(file, 'the password is not even needed now', '--limit', 'boot-a');
    expect(again.code).toBe(0);
    expect(again.report.bootstrap[0]!.result!.loggedInAs).toBe('deploy');
    expect(again.report.bootstrap[0]!.status).toBe('ok');
    expect(again.report.hosts[0]!.status).toBe('ok');
  });

  it('a cloud image\'s default user with a key works as the initial login too', async () => {
    // The image's "deploy" account plays the cloud default user (key login, passwordless sudo).
    const file = await inventory(`user: ${LAB_ACCOUNTS.deployUser}, identity_file: ${labKeyPath()}`, 'ops2');
    const run = await runFleet(['bootstrap', file, '--json', '--limit', 'boot-b', '--no-apply', '--trust-new-host-keys'], mirror.env);
    const report = JSON.parse(run.stdout) as Report;
    expect(run.code, JSON.stringify(report.bootstrap)).toBe(0);
    expect(report.bootstrap[0]!.result!.loggedInAs).toBe('initial');
    expect(await onHost(2, 'id -un ops2; cat /etc/sudoers.d/fleet-ops2 | tail -1')).toBe('ops2\nops2 ALL=(ALL:ALL) NOPASSWD: ALL\n');
  });

  it('hardening that would lock the deploy user out is undone, and the operator keeps both ways in', async () => {
    // Valid for sshd -t, but it shuts out the very user fleet just created: the confirming login fails.
    const file = await inventory('user: root, password_env: ROOT_PASSWORD, harden_sshd: true, sshd_extra: "DenyUsers ops"');
    const run = await bootstrap(file, LAB_ACCOUNTS.rootPassword, '--limit', 'boot-b', '--no-apply', '--trust-new-host-keys');
    expect(run.code).toBe(2);
    expect(run.report.bootstrap[0]!.error!.message).toMatch(/^sshd hardening undone, the previous sshd config is back: a new login as ops with its key does not work/);
    expect(await onHost(2, 'ls /etc/ssh/sshd_config.d/')).toBe('00-lab-variant.conf\n');
    expect(await rootPasswordLogin(2)).toBe('accepted');
    const ops = await Connection.open({ host: hosts[2]!.address, port: 22, user: 'ops', identityFiles: [labKeyPath()], connectTimeoutMs: 5000, hostKeyChecking: 'off', knownHostsFile: '/dev/null' });
    expect((await ops.exec('id -un')).stdout).toBe('ops\n');
    ops.close();
  });

  it('a broken sshd drop-in is never applied, and password login keeps working', async () => {
    const file = await inventory('user: root, password_env: ROOT_PASSWORD, harden_sshd: true, sshd_extra: "NoSuchOption yes"');
    const run = await bootstrap(file, LAB_ACCOUNTS.rootPassword, '--limit', 'boot-b', '--no-apply', '--trust-new-host-keys');
    expect(run.code).toBe(2);
    expect(run.report.bootstrap[0]!.error!.step).toBe('harden sshd');
    expect(run.report.bootstrap[0]!.error!.message).toContain('Bad configuration option: NoSuchOption');
    expect(await onHost(2, 'ls /etc/ssh/sshd_config.d/')).toBe('00-lab-variant.conf\n');
    expect(await rootPasswordLogin(2)).toBe('accepted');
  });
});
