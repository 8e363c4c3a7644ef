import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HostError } from '../../src/connection/errors.ts';
import { Connection } from '../../src/connection/ssh.ts';
import type { SshTarget } from '../../src/inventory/resolve.ts';
import { LAB_ACCOUNTS, labKeyPath } from '../../src/lab/layout.ts';
import { runFleet } from '../helpers/run-fleet.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { labUnavailable, onLabHost, useLabHosts, writeLabInventory } from './lab-hosts.ts';

describe.skipIf(labUnavailable)('SSH layer against lab hosts', () => {
  const hosts = useLabHosts([
    { name: 'ssh-a', index: 100 },
    { name: 'ssh-b', index: 101 },
    { name: 'ssh-nokey', index: 102, variant: 'password-only' },
  ]);
  const target = (index: number, user: string, overrides: Partial<SshTarget> = {}): SshTarget => ({
    host: hosts[index]!.address,
    port: 22,
    user,
    identityFiles: [labKeyPath()],
    connectTimeoutMs: 5000,
    hostKeyChecking: 'off',
    knownHostsFile: '/dev/null',
    ...overrides,
  });
  const failureOf = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected a failure');
      },
      (error: unknown) => error as HostError,
    );

  it('runs commands with exit code, stdout and stderr, and uploads files', async () => {
    const connection = await Connection.open(target(0, LAB_ACCOUNTS.deployUser));
    try {
      expect(await connection.exec('echo out; echo err >&2; exit 3')).toEqual({ code: 3, stdout: 'out\n', stderr: 'err\n' });
      await connection.upload('line one\n  indented\n', '/tmp/fleet-upload', 0o640);
      expect(await connection.exec('cat /tmp/fleet-upload; stat -c %a /tmp/fleet-upload')).toMatchObject({ stdout: 'line one\n  indented\n640\n' });
    } finally {
      connection.close();
    }
  });

  it('becomes root with sudo, with and without a sudo password', async () => {
    const nopasswd = await Connection.open(target(0, LAB_ACCOUNTS.deployUser));
    expect(await nopasswd.exec('id -un', { sudo: true })).toEqual({ code: 0, stdout: 'root\n', stderr: '' });
    nopasswd.close();
    const withPassword = await Connection.open(target(0, LAB_ACCOUNTS.sudoPasswordUser), { become: { enabled: true, password: LAB_ACCOUNTS.sudoPassword } });
    expect(await withPassword.exec('id -un; cat', { sudo: true, stdin: 'piped input\n' })).toMatchObject({ code: 0, stdout: 'root\npiped input\n' });
    withPassword.close();
  });

  it('tells a refused sudo apart from a failing command', async () => {
    const noSudo = await Connection.open(target(0, LAB_ACCOUNTS.noSudoUser));
    const refused = await failureOf(noSudo.exec('true', { sudo: true }));
    expect(refused.kind).toBe('sudo');
    expect(refused.message).toContain('sudo refused for nosudo: sudo: a password is required');
    noSudo.close();
    const wrongPassword = await Connection.open(target(0, LAB_ACCOUNTS.sudoPasswordUser), { become: { enabled: true, password: 'not-the-password' } });
    expect((await failureOf(wrongPassword.exec('true', { sudo: true }))).message).toContain('incorrect password');
    expect(await wrongPassword.exec('exit 5')).toMatchObject({ code: 5 });
    wrongPassword.close();
  });

  it('ends a command that outlives its timeout', async () => {
    const connection = await Connection.open(target(0, 'root'));
    const error = await failureOf(connection.exec('sleep 30', { timeoutMs: 500 }));
    expect(error.kind).toBe('timeout');
    expect(await connection.exec('echo still usable')).toMatchObject({ stdout: 'still usable\n' });
    // The timed-out command was killed on the host, not left running.
    await waitFor('the timed-out sleep to end on the host', async () => (await connection.exec('pgrep -x sleep')).code === 1, 10_000);
    connection.close();
  });

  it('a session the host drops mid-transfer fails that step, and nothing is thrown at the process', async () => {
    const connection = await Connection.open(target(0, 'root'));
    // Data still in flight when the host's side dies makes its kernel answer with a reset.
    const running = connection.upload(Buffer.alloc(256 * 1024 * 1024), '/tmp/big.bin').then(() => ({ code: 0 }), (error: Error) => error);
    // Mid-transfer means the first megabyte has reached the host's disk, however busy the machine is.
    await waitFor('the upload to reach the host', async () => Number(await onLabHost(hosts[0]!, 'stat -c %s /tmp/big.bin 2>/dev/null || echo 0')) > 1024 * 1024);
    // Kill the host's per-connection sshd processes (children of the listening sshd), by PID.
    await onLabHost(hosts[0]!, 'for pid in $(ps -o pid= --ppid "$(cat /run/sshd.pid)"); do kill -9 "$pid"; done');
    const result = await running;
    expect(result instanceof Error ? result.message : `exit ${result.code}`).toMatch(/closed|reset/i);
    await expect(connection.exec('true')).rejects.toThrow();
    connection.close();
  });

  it('reaches a host through a ~/.ssh/config alias and a jump host', async () => {
    const { dir, file } = await writeLabInventory([]);
    await writeFile(join(dir, 'ssh_config'), `Host via-alias\n  HostName ${hosts[0]!.address}\n  User deploy\nHost bastion\n  HostName ${hosts[1]!.address}\n  User root\n`);
    const inventory = `ssh_config_file: ${join(dir, 'ssh_config')}\ndefaults:\n  ssh: { identity_file: ${labKeyPath()}, agent: false, host_key_checking: accept-new, known_hosts_file: ${join(dir, 'known_hosts')} }\nhosts:\n  aliased:\n    address: via-alias\n  jumped:\n    address: ${hosts[0]!.address}\n    ssh: { user: root, jump: bastion }\n`;
    await writeFile(file, inventory);
    const result = await runFleet(['ping', file, '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { hosts: { host: string; status: string; result: { user: string; become: string } }[] };
    expect(report.hosts.find((host) => host.host === 'aliased')).toMatchObject({ status: 'ok', result: { user: 'deploy', become: 'sudo' } });

    // The jumped session arrives from the bastion's address, not from the controller's.
    const { loadInventory } = await import('../../src/inventory/load.ts');
    const { resolveHosts } = await import('../../src/inventory/resolve.ts');
    const jumped = resolveHosts(await loadInventory(file)).find((host) => host.name === 'jumped')!;
    const connection = await Connection.open(jumped.ssh);
    expect((await connection.exec('echo $SSH_CONNECTION')).stdout.split(' ')[0]).toBe(hosts[1]!.address);
    connection.close();
  });

  it('records a new host key with accept-new and refuses unknown keys under strict', async () => {
    const { dir } = await writeLabInventory([]);
    const knownHosts = join(dir, 'known_hosts');
    const strict = await failureOf(Connection.open(target(1, 'root', { hostKeyChecking: 'strict', knownHostsFile: knownHosts })));
    expect(strict.kind).toBe('host-key');
    expect(strict.message).toMatch(/host key for 10\.213\.0\.101 is unknown: the host offered ssh-ed25519 SHA256:[A-Za-z0-9+/]{43}\./);
    (await Connection.open(target(1, 'root', { hostKeyChecking: 'accept-new', knownHostsFile: knownHosts }))).close();
    expect(await readFile(knownHosts, 'utf8')).toMatch(/^10\.213\.0\.101 ssh-ed25519 /);
    (await Connection.open(target(1, 'root', { hostKeyChecking: 'strict', knownHostsFile: knownHosts }))).close();
  });

  it('fleet ping reports unreachable, wrong key and changed host key per host, and the healthy host still answers', async () => {
    const { dir, file } = await writeLabInventory([hosts[0]!]);
    const changedKnownHosts = join(dir, 'changed_known_hosts');
    // A key that is not the host's: what a reinstalled host, or an attacker, looks like.
    await writeFile(changedKnownHosts, `${hosts[1]!.address} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHWHDpWF4pDJWGQFDMd4cPBZbd0vU0FONQ2Y4wxymYcz\n`);
    await writeFile(
      file,
      (await readFile(file, 'utf8')) +
        `hosts:\n  gone:\n    address: 10.213.0.250\n    ssh: { connect_timeout: 2 }\n` +
        `  nokey:\n    address: ${hosts[2]!.address}\n` +
        `  changed:\n    address: ${hosts[1]!.address}\n    ssh: { host_key_checking: strict, known_hosts_file: ${changedKnownHosts} }\n`,
    );
    const result = await runFleet(['ping', file, '--json']);
    expect(result.code).toBe(4);
    const report = JSON.parse(result.stdout) as { hosts: { host: string; status: string; error?: { kind: string; message: string } }[] };
    const byName = Object.fromEntries(report.hosts.map((host) => [host.host, host]));
    expect(byName[hosts[0]!.name]!.status).toBe('ok');
    expect(byName.gone).toMatchObject({ status: 'unreachable', error: { kind: 'unreachable' } });
    expect(byName.gone!.error!.message).toContain('root@10.213.0.250:22');
    expect(byName.nokey).toMatchObject({ status: 'unreachable', error: { kind: 'auth' } });
    expect(byName.nokey!.error!.message).toBe(`authentication refused by root@${hosts[2]!.address}:22; tried: key ${labKeyPath()}`);
    expect(byName.changed).toMatchObject({ status: 'unreachable', error: { kind: 'host-key' } });
    expect(byName.changed!.error!.message).toContain(`host key for ${hosts[1]!.address} has CHANGED`);
  });

  it('fleet ping exits 2 when sudo is refused, naming the host and what to do', async () => {
    const { file } = await writeLabInventory([hosts[0]!]);
    await writeFile(file, (await readFile(file, 'utf8')) + `hosts:\n  locked:\n    address: ${hosts[1]!.address}\n    ssh: { user: nosudo }\n`);
    const result = await runFleet(['ping', file]);
    expect(result.code, result.stdout).toBe(2);
    expect(result.stdout).toMatch(/locked\s+FAILED\s+sudo refused for nosudo: sudo: a password is required/);
    expect(result.stdout).toMatch(new RegExp(`${hosts[0]!.name}\\s+ok\\s+root, become not needed\\s+Debian GNU/Linux 12`));
  });

  it('takes the sudo password from the environment variable the inventory names', async () => {
    const { file } = await writeLabInventory([]);
    await writeFile(file, (await readFile(file, 'utf8')) + `hosts:\n  pw:\n    address: ${hosts[0]!.address}\n    ssh: { user: deploypw }\n    become: { password_env: LAB_SUDO }\n`);
    expect((await runFleet(['ping', file])).stderr).toContain('become.password_env names LAB_SUDO, which is not set');
    const result = await runFleet(['ping', file, '--json'], { LAB_SUDO: LAB_ACCOUNTS.sudoPassword });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain(LAB_ACCOUNTS.sudoPassword);
  });
});
