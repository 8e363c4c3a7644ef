import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HostError } from '../../src/connection/errors.ts';
import type { HostKeyError } from '../../src/connection/host-key-check.ts';
import { Connection } from '../../src/connection/ssh.ts';
import type { SshTarget } from '../../src/inventory/resolve.ts';
import { runInLabHost } from '../../src/lab/lab.ts';
import { labKeyPath } from '../../src/lab/layout.ts';
import { commandLineOf } from '../../src/lab/processes.ts';
import { runLocal } from '../../src/local/run.ts';
import { runFleet } from '../helpers/run-fleet.ts';
import { labUnavailable, useLabHosts, writeLabInventory } from './lab-hosts.ts';

interface PingReport {
  hosts: { host: string; status: string; connectAttempts?: number; error?: { kind: string; message: string } }[];
}

describe.skipIf(labUnavailable)('host keys, jump chains, ProxyCommand and connection retries against lab hosts', () => {
  const hosts = useLabHosts([
    { name: 'kt-a', index: 140 },
    { name: 'kt-b', index: 141 },
    { name: 'kt-c', index: 142 },
  ]);
  const address = (index: number) => hosts[index]!.address;
  const target = (index: number, overrides: Partial<SshTarget> = {}): SshTarget => ({
    host: address(index),
    port: 22,
    user: 'root',
    identityFiles: [labKeyPath()],
    connectTimeoutMs: 5000,
    hostKeyChecking: 'strict',
    knownHostsFile: '/dev/null',
    ...overrides,
  });
  const hostKey = async (index: number, type: 'ed25519' | 'rsa' | 'ecdsa') => (await runInLabHost(hosts[index]!, `cat /etc/ssh/ssh_host_${type}_key.pub`)).stdout.trim().split(' ').slice(0, 2).join(' ');
  const failureOf = (promise: Promise<unknown>) =>
    promise.then(
      (value) => {
        (value as Connection | undefined)?.close?.();
        throw new Error('expected a failure');
      },
      (error: unknown) => error as HostKeyError,
    );
  /** What the operator's own ssh says with the same known_hosts file: 0 when it connects. */
  const opensshExit = async (index: number, knownHosts: string, ...options: string[]) =>
    (await runLocal('ssh', ['-i', labKeyPath(), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'ConnectTimeout=5', ...options, `root@${address(index)}`, 'true'])).code;
  const pingJson = async (file: string) => {
    const run = await runFleet(['ping', file, '--json']);
    return { code: run.code, stderr: run.stderr, report: JSON.parse(run.stdout) as PingReport };
  };

  it('refuses a key known_hosts marks @revoked, and a host vouched for only by @cert-authority, as ssh does', async () => {
    const { dir } = await writeLabInventory([]);
    const file = join(dir, 'known_hosts');
    const ed25519 = await hostKey(0, 'ed25519');
    await writeFile(file, `${address(0)} ${ed25519}\n@revoked * ${ed25519}\n`);
    const revoked = await failureOf(Connection.open(target(0, { knownHostsFile: file })));
    expect(revoked.kind).toBe('host-key');
    expect(revoked.verdict).toBe('revoked');
    expect(revoked.message).toContain(`host key for ${address(0)} is REVOKED`);
    expect(await opensshExit(0, file)).not.toBe(0);
    // accept-new must not get around it either.
    expect((await failureOf(Connection.open(target(0, { knownHostsFile: file, hostKeyChecking: 'accept-new' })))).verdict).toBe('revoked');

    // A CA line for the lab: ssh2 cannot check host certificates, so this is refused, never accepted silently.
    const ca = execFileSync('sh', ['-c', `ssh-keygen -q -t ed25519 -N '' -f ${join(dir, 'ca')} && cat ${join(dir, 'ca.pub')}`], { encoding: 'utf8' }).trim().split(' ').slice(0, 2).join(' ');
    await writeFile(file, `@cert-authority 10.213.0.* ${ca}\n`);
    const certificate = await failureOf(Connection.open(target(0, { knownHostsFile: file, hostKeyChecking: 'accept-new' })));
    expect(certificate.verdict).toBe('certificate-only');
    expect(certificate.message).toMatch(/fleet cannot verify host certificates: the host offered the plain key ssh-ed25519 SHA256:/);
    expect(await readFile(file, 'utf8')).toBe(`@cert-authority 10.213.0.* ${ca}\n`);
  });

  it('a host known by its RSA key is checked by that key; one known only by a type it does not offer is "unknown type", not "changed"', async () => {
    const { dir } = await writeLabInventory([]);
    const file = join(dir, 'known_hosts');
    // Upper case, and a negated pattern that does not apply: both as OpenSSH reads them.
    await writeFile(file, `${address(0)},!10.213.0.99 ${await hostKey(0, 'rsa')}\n`);
    const connection = await Connection.open(target(0, { knownHostsFile: file }));
    connection.close();
    expect(await opensshExit(0, file)).toBe(0);

    // A P-521 key: the lab hosts have none, so they offer another type.
    const p521 = execFileSync('sh', ['-c', `ssh-keygen -q -t ecdsa -b 521 -N '' -f ${join(dir, 'p521')} && cat ${join(dir, 'p521.pub')}`], { encoding: 'utf8' }).trim().split(' ').slice(0, 2).join(' ');
    await writeFile(file, `${address(0)} ${p521}\n`);
    const unknownType = await failureOf(Connection.open(target(0, { knownHostsFile: file })));
    expect(unknownType.verdict).toBe('unknown-type');
    expect(unknownType.message).toMatch(new RegExp(`host key for ${address(0).replaceAll('.', '\\.')} is of an unknown type: the host offered \\S+ SHA256:\\S+, and known_hosts has only ecdsa-sha2-nistp521 keys for it \\(${file}:1\\)`));
    expect(unknownType.message).not.toMatch(/CHANGED|attack/);
    expect(await opensshExit(0, file)).not.toBe(0);

    // A negated pattern that matches takes the line away: the host is unknown.
    await writeFile(file, `10.213.0.*,!${address(0)} ${await hostKey(0, 'ed25519')}\n`);
    expect((await failureOf(Connection.open(target(0, { knownHostsFile: file })))).verdict).toBe('unknown');
    expect(await opensshExit(0, file)).not.toBe(0);
  });

  it('goes through a two-hop ProxyJump a,b and through a ProxyCommand exactly as ssh does, and says why a ProxyCommand failed', async () => {
    // kt-b takes SSH only from kt-a, kt-c only from kt-b: any shortcut fails.
    const onlyFrom = (index: number, source: string) =>
      runInLabHost(hosts[index]!, `nft add table inet kt && nft add chain inet kt input '{ type filter hook input priority 0; policy accept; }' && nft add rule inet kt input tcp dport 22 ip saddr != ${source} drop`);
    await onlyFrom(1, address(0));
    await onlyFrom(2, address(1));
    try {
      const { dir, file } = await writeLabInventory([]);
      // The operator's own ssh settings; ssh passes -F on to the ssh it starts for each hop.
      const operatorConfig = join(dir, 'operator_ssh_config');
      await writeFile(operatorConfig, `Host *\n  IdentityFile ${labKeyPath()}\n  UserKnownHostsFile ${join(dir, 'known_hosts')}\n  StrictHostKeyChecking accept-new\n  BatchMode yes\n`);
      await writeFile(
        join(dir, 'ssh_config'),
        `Host second\n  HostName ${address(1)}\n  User root\n` +
          `Host behind-command\n  HostName ${address(2)}\n  ProxyCommand ssh -F ${operatorConfig} -J root@${address(0)} -W %h:%p root@${address(1)}\n` +
          `Host broken-command\n  HostName ${address(0)}\n  ProxyCommand sh -c 'echo no route to the bastion >&2; exit 3'\n` +
          `Host odd-token\n  HostName ${address(0)}\n  ProxyCommand nc %n %p\n`,
      );
      await writeFile(
        file,
        `ssh_config_file: ${join(dir, 'ssh_config')}\ndefaults:\n  ssh: { user: root, identity_file: ${labKeyPath()}, agent: false, connect_timeout: 5, host_key_checking: accept-new, known_hosts_file: ${join(dir, 'known_hosts')} }\n` +
          `hosts:\n  chained:\n    address: ${address(2)}\n    ssh: { jump: "root@${address(0)},second" }\n  direct:\n    address: ${address(2)}\n    ssh: { connect_timeout: 2 }\n` +
          `  proxied:\n    address: behind-command\n  broken:\n    address: broken-command\n  odd:\n    address: odd-token\n`,
      );
      const run = await pingJson(file);
      const byName = Object.fromEntries(run.report.hosts.map((host) => [host.host, host]));
      expect(byName.chained!.status, JSON.stringify(byName.chained)).toBe('ok');
      expect(byName.proxied!.status, JSON.stringify(byName.proxied)).toBe('ok');
      expect(byName.direct!.status).toBe('unreachable');
      expect(byName.broken).toMatchObject({ status: 'unreachable', connectAttempts: 1 });
      expect(byName.broken!.error!.message).toBe(`unreachable: cannot connect to root@${address(0)}:22 via ProxyCommand "sh -c 'echo no route to the bastion >&2; exit 3'": the ProxyCommand exited with code 3: no route to the bastion`);
      expect(byName.odd!.error!.message).toContain('uses the token %n, which fleet does not expand');

      // The session on kt-c comes from kt-b, whichever way fleet got there, as with the operator's `ssh -J a,b`.
      const { loadInventory } = await import('../../src/inventory/load.ts');
      const { resolveHosts } = await import('../../src/inventory/resolve.ts');
      const resolved = resolveHosts(await loadInventory(file));
      const sourceOn = async (name: string) => {
        const connection = await Connection.open(resolved.find((host) => host.name === name)!.ssh);
        try {
          return (await connection.exec('echo $SSH_CONNECTION')).stdout.split(' ')[0];
        } finally {
          connection.close();
        }
      };
      expect(await sourceOn('chained')).toBe(address(1));
      expect(await sourceOn('proxied')).toBe(address(1));
      const viaSsh = await runLocal('ssh', ['-F', operatorConfig, '-J', `root@${address(0)},root@${address(1)}`, `root@${address(2)}`, 'echo $SSH_CONNECTION']);
      expect(viaSsh.stdout.split(' ')[0], viaSsh.stderr).toBe(address(1));

      // The ProxyCommand processes fleet started are gone once their connections are closed.
      const proxies = () => readdirSync('/proc').filter((pid) => /^\d+$/.test(pid) && (commandLineOf(Number(pid)) ?? []).includes(operatorConfig));
      for (const deadline = Date.now() + 5000; proxies().length && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(proxies()).toEqual([]);
    } finally {
      await runInLabHost(hosts[1]!, 'nft delete table inet kt');
      await runInLabHost(hosts[2]!, 'nft delete table inet kt');
    }
  });

  it('retries a refused connection with backoff while sshd restarts, and says how many attempts it took', async () => {
    const { file } = await writeLabInventory([hosts[0]!]);
    // Counts connection attempts (SYNs to port 22), so sshd comes back only once fleet was refused.
    const setup = await runInLabHost(hosts[0]!, "systemctl stop ssh && nft add table inet ktr && nft add chain inet ktr input '{ type filter hook input priority 0; policy accept; }' && nft add rule inet ktr input tcp dport 22 tcp flags syn counter");
    expect(setup.code, setup.stderr).toBe(0);
    // Nothing listens on port 22 any more (a loaded machine may take a moment).
    let listening = 'unknown';
    for (const deadline = Date.now() + 10_000; listening !== '' && Date.now() < deadline; ) listening = (await runInLabHost(hosts[0]!, "ss -Hltn '( sport = :22 )'")).stdout.trim();
    expect(listening).toBe('');
    const attemptsSeen = async () => Number(/packets (\d+)/.exec((await runInLabHost(hosts[0]!, 'nft list chain inet ktr input')).stdout)?.[1] ?? 0);
    try {
      const started = Date.now();
      const running = pingJson(file);
      for (const deadline = Date.now() + 20_000; (await attemptsSeen()) < 1 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 50));
      await runInLabHost(hosts[0]!, 'systemctl start ssh');
      const run = await running;
      expect(run.code, run.stderr).toBe(0);
      const host = run.report.hosts[0]!;
      expect(host.status).toBe('ok');
      expect(host.connectAttempts).toBeGreaterThanOrEqual(2);
      expect(host.connectAttempts).toBe(await attemptsSeen());
      expect(run.stderr).toMatch(new RegExp(`ok kt-a \\S+ \\(connected on attempt ${host.connectAttempts}\\)`));
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      await runInLabHost(hosts[0]!, 'systemctl start ssh; nft delete table inet ktr');
    }
  });

  it('gives up on a host whose sshd stays down after a bounded number of attempts, and reports them', async () => {
    const { file } = await writeLabInventory([hosts[0]!, hosts[1]!]);
    const stop = await runInLabHost(hosts[0]!, 'systemctl stop ssh');
    expect(stop.code, stop.stderr).toBe(0);
    try {
      const started = Date.now();
      const run = await pingJson(file);
      const elapsed = Date.now() - started;
      expect(run.code).toBe(4);
      const down = run.report.hosts.find((host) => host.host === 'kt-a')!;
      expect(down).toMatchObject({ status: 'unreachable', connectAttempts: 5, error: { kind: 'unreachable' } });
      expect(down.error!.message).toBe(`unreachable: connection refused by root@${address(0)}:22 (is sshd running on that port?) (after 5 attempts)`);
      expect(run.report.hosts.find((host) => host.host === 'kt-b')).toMatchObject({ status: 'ok', connectAttempts: 1 });
      // 0.5 + 1 + 2 + 4 s of backoff, and no more.
      expect(elapsed).toBeGreaterThan(7_000);
      expect(elapsed).toBeLessThan(20_000);
    } finally {
      await runInLabHost(hosts[0]!, 'systemctl start ssh');
    }
  });

  it('cuts off a command that streams without end, and the session stays usable', async () => {
    const connection = await Connection.open(target(1, { hostKeyChecking: 'off' }));
    try {
      const capped = (await failureOf(connection.exec('yes fleet', { maxOutputBytes: 1024 * 1024 }))) as HostError;
      expect(capped.kind).toBe('command');
      expect(capped.message).toBe('output cut off: the command sent more than 1 MiB (stdout and stderr); fleet stopped reading and ended it: yes fleet');
      // With the default cap (16 MiB), stderr counts too.
      const started = Date.now();
      const endless = (await failureOf(connection.exec('cat /dev/zero >&2'))) as HostError;
      expect(endless.message).toMatch(/^output cut off: the command sent more than 16 MiB/);
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(await connection.exec('echo still usable')).toMatchObject({ code: 0, stdout: 'still usable\n' });
      // The cut-off commands end on the host too (SIGPIPE once sshd stops relaying).
      let left = '';
      for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 200))) {
        left = (await connection.exec('ps -eo args= | grep -E "^(yes fleet|cat /dev/zero)$" || true')).stdout;
        if (!left) break;
      }
      expect(left).toBe('');
    } finally {
      connection.close();
    }
  });
});
