import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packRelease } from '../../src/lab/release-pack.ts';
import { runFleet } from '../helpers/run-fleet.ts';
import { enableNftables, enableUfw, labUnavailable, onLabHost, useLabHosts, writeLabInventory } from './lab-hosts.ts';
import { startMirror } from './mirror.ts';

/** A tiny HTTP daemon in Perl (perl-base is on every Debian host) playing a released binary. */
const toolScript = (version: string) => `#!/usr/bin/perl
# fleet test tool ${version}
use IO::Socket::INET;
if (($ARGV[0] // '') eq '--version') { print "tool ${version}\\n"; exit 0 }
my $server = IO::Socket::INET->new(LocalPort => $ARGV[0] || 9300, Listen => 5, ReuseAddr => 1) or die "cannot listen: $!";
while (my $client = $server->accept) { my $line = <$client>; print $client "HTTP/1.0 200 OK\\r\\n\\r\\ntool ${version}\\n"; close $client }
`;
const BROKEN = '#!/bin/sh\necho "this build crashes at start" >&2\nexit 3\n';

const playbook = (mirror: string) => `tasks:
  - user: { name: tool, groups: [adm] }
  - artifact:
      name: tool
      url: "${mirror}/tool/v{{vars.tool_version}}/tool-{{vars.tool_version}}.linux-{arch}.tar.gz"
      checksums_url: "${mirror}/tool/v{{vars.tool_version}}/sha256sums.txt"
      member: "tool-{{vars.tool_version}}.linux-{arch}/tool"
      dest: /usr/local/bin/fleet-test-tool
    notify: [restart fleet-test-tool]
  - unit: { name: fleet-test-tool.service, src: tool.service.hbs }
    notify: [restart fleet-test-tool]
  - unit: { name: fleet-test-tool.service.d/limits.conf, src: tool-limits.conf.hbs }
    notify: [restart fleet-test-tool]
  - service: { name: fleet-test-tool, ports: [9300] }
  - http_check: { url: "http://127.0.0.1:9300/", body: "tool {{vars.tool_version}}", timeout: 10, service: fleet-test-tool }
  - firewall: { port: 9300, sources: "{{vars.tool_sources}}" }
    tags: [firewall]
  - http_check: { url: "http://{{host.address}}:9300/", from: controller, timeout: 10 }
    tags: [firewall]
`;
const UNIT = `[Unit]
Description=fleet test tool
[Service]
User=tool
ExecStart=/usr/local/bin/fleet-test-tool 9300
Restart=on-failure
RestartSec=1
[Install]
WantedBy=multi-user.target
`;

interface Report {
  hosts: { host: string; status: string; error?: { message: string; step: string }; result?: { changes: { resource: string; action: string; reason: string }[] } }[];
}

describe.skipIf(labUnavailable)('artifact, user, unit, service, firewall and http_check resources', () => {
  const hosts = useLabHosts([
    { name: 'res-ufw', index: 106 },
    { name: 'res-nft', index: 107 },
  ]);
  let mirror: Awaited<ReturnType<typeof startMirror>>;
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'fleet-mirror-'));
    mirror = await startMirror(root);
    for (const version of ['1.0.0', '2.0.0', '3.0.0']) {
      const script = version === '3.0.0' ? BROKEN : toolScript(version);
      for (const arch of ['amd64', 'arm64']) {
        await packRelease(join(root, 'tool', `v${version}`), `tool-${version}.linux-${arch}.tar.gz`, { [`tool-${version}.linux-${arch}/tool`]: { content: script } }, 'sha256sums.txt');
      }
    }
    // A release whose published checksum does not match its archive.
    await packRelease(join(root, 'tool', 'v9.0.0'), 'tool-9.0.0.linux-amd64.tar.gz', { 'tool-9.0.0.linux-amd64/tool': { content: toolScript('9.0.0') } }, 'sha256sums.txt');
    await writeFile(join(root, 'tool', 'v9.0.0', 'sha256sums.txt'), `${'ab'.repeat(32)}  tool-9.0.0.linux-amd64.tar.gz\n`);
    // One host behind ufw, one behind a hand-written nftables ruleset; both allow SSH only.
    await enableUfw(hosts[0]!);
    await enableNftables(hosts[1]!);
  });
  afterAll(async () => mirror?.close());

  async function setUp() {
    const { dir, file } = await writeLabInventory(hosts, '');
    await mkdir(join(dir, 'playbooks'));
    await mkdir(join(dir, 'templates'));
    await writeFile(join(dir, 'playbooks', 'tool.yaml'), playbook(mirror.url));
    await writeFile(join(dir, 'templates', 'tool.service.hbs'), UNIT);
    await writeFile(join(dir, 'templates', 'tool-limits.conf.hbs'), '[Service]\nLimitNOFILE=4321\n');
    return file;
  }
  const apply = async (file: string, vars: { version?: string; sources?: string }, ...args: string[]) => {
    const run = await runFleet(['apply', file, 'tool', '--json', '-e', `tool_version=${vars.version ?? '1.0.0'}`, '-e', `tool_sources=${vars.sources ?? '10.213.0.1'}`, ...args], {
      FLEET_CACHE_DIR: join(root, 'cache'),
    });
    return { code: run.code, report: JSON.parse(run.stdout) as Report, stderr: run.stderr };
  };
  /** A set-up apply: the test is about what comes after, so a failure here stops it with the reason. */
  const applyOrFail = async (...args: Parameters<typeof apply>) => {
    const run = await apply(...args);
    if (run.code !== 0) throw new Error(`set-up apply failed (exit ${run.code}): ${JSON.stringify(run.report.hosts.map((host) => host.error))}`);
  };
  const onHost = (index: number, command: string) => onLabHost(hosts[index]!, command);
  const changed = (report: Report, host = 0) => report.hosts[host]!.result!.changes.filter((change) => !['same', 'skip'].includes(change.action)).map((change) => `${change.action} ${change.resource}`);
  const mainPid = (index: number) => onHost(index, 'systemctl show -p MainPID --value fleet-test-tool');

  it('installs, starts, opens the port and proves it; a second run changes nothing and restarts nothing', async () => {
    const file = await setUp();
    const first = await apply(file, {});
    expect(first.code, JSON.stringify(first.report, null, 1)).toBe(0);
    expect(changed(first.report)).toEqual([
      'create user tool',
      'create artifact /usr/local/bin/fleet-test-tool',
      'create unit /etc/systemd/system/fleet-test-tool.service',
      'create unit /etc/systemd/system/fleet-test-tool.service.d/limits.conf',
      'update service fleet-test-tool',
      'create firewall 9300/tcp',
    ]);
    expect(await onHost(0, 'getent passwd tool | cut -d: -f6,7; id -Gn tool; stat -c "%a %U" /usr/local/bin/fleet-test-tool; systemctl is-enabled fleet-test-tool; systemctl show -p LimitNOFILE --value fleet-test-tool')).toBe(
      '/nonexistent:/usr/sbin/nologin\ntool adm\n755 root\nenabled\n4321\n',
    );
    // Exactly the rule needed: the controller's address, tagged as fleet's.
    expect(await onHost(0, 'ufw status | grep 9300')).toMatch(/^9300\/tcp\s+ALLOW\s+10\.213\.0\.1\s+# fleet 9300\/tcp\n$/);
    expect(await onHost(1, 'nft list chain inet filter input | grep 9300')).toBe('\t\tip saddr 10.213.0.1 tcp dport 9300 accept comment "fleet 9300/tcp"\n');
    expect(await onHost(1, 'grep 9300 /etc/nftables.conf')).toBe('insert rule inet filter input ip saddr 10.213.0.1 tcp dport 9300 accept comment "fleet 9300/tcp"\n');
    // What fleet saved for the next boot is a ruleset nft accepts, not just a line grep finds.
    await onHost(1, 'nft -c -f /etc/nftables.conf');
    // The archive was fetched once for both hosts.
    expect(mirror.requests.filter((path) => path.endsWith('tool-1.0.0.linux-amd64.tar.gz'))).toHaveLength(1);

    const pid = await mainPid(0);
    const second = await apply(file, {});
    expect(second.code).toBe(0);
    expect(second.report.hosts.map((host) => host.status)).toEqual(['ok', 'ok']);
    expect(await mainPid(0)).toBe(pid);

    // A user that lost a group is put back in it, and nothing else moves.
    await onHost(0, 'gpasswd -d tool adm >/dev/null');
    const repaired = await apply(file, {}, '--limit', 'res-ufw');
    expect(repaired.report.hosts[0]!.result!.changes.filter((change) => change.action === 'update').map((change) => `${change.resource}: ${change.reason}`)).toEqual(['user tool: not in adm']);
    expect(await onHost(0, 'id -Gn tool')).toBe('tool adm\n');
    expect(await mainPid(0)).toBe(pid);
  });

  it('check mode reports a version bump and changes nothing; apply upgrades and restarts once', async () => {
    const file = await setUp();
    await applyOrFail(file, {});
    const pid = await mainPid(0);
    const plan = await apply(file, { version: '2.0.0' }, '--check');
    expect(changed(plan.report)).toEqual(['update artifact /usr/local/bin/fleet-test-tool', 'update http http://127.0.0.1:9300/ from host']);
    expect(await onHost(0, '/usr/local/bin/fleet-test-tool --version')).toBe('tool 1.0.0\n');
    expect(await mainPid(0)).toBe(pid);

    const upgrade = await apply(file, { version: '2.0.0' });
    expect(upgrade.code).toBe(0);
    expect(changed(upgrade.report)).toEqual(['update artifact /usr/local/bin/fleet-test-tool', 'update service fleet-test-tool']);
    expect(upgrade.report.hosts[0]!.result!.changes.find((change) => change.reason.startsWith('restarted'))?.reason).toBe(
      'restarted because artifact /usr/local/bin/fleet-test-tool changed',
    );
    expect(await onHost(0, 'curl -s http://127.0.0.1:9300/')).toBe('tool 2.0.0\n');
    expect(await mainPid(0)).not.toBe(pid);
  });

  it('a checksum mismatch refuses to install and the old binary keeps running', async () => {
    const file = await setUp();
    await applyOrFail(file, {});
    const run = await apply(file, { version: '9.0.0' }, '--limit', 'res-ufw');
    expect(run.code).toBe(2);
    expect(run.report.hosts[0]!.error!.message).toMatch(/checksum mismatch for http:\/\/.*tool-9\.0\.0\.linux-amd64\.tar\.gz: expected abab.*refusing to install it/);
    expect(await onHost(0, 'curl -s http://127.0.0.1:9300/')).toBe('tool 1.0.0\n');
  });

  it('a new binary that will not start is rolled back, and the host is reported failed with its log', async () => {
    const file = await setUp();
    await applyOrFail(file, {});
    const run = await apply(file, { version: '3.0.0' }, '--limit', 'res-ufw');
    expect(run.code).toBe(2);
    const message = run.report.hosts[0]!.error!.message;
    expect(message).toContain('fleet-test-tool.service did not stay up after restart');
    expect(message).toContain('this build crashes at start');
    expect(message).toContain('rolled back artifact /usr/local/bin/fleet-test-tool: the previous binary is back and fleet-test-tool runs again');
    expect(await onHost(0, 'systemctl is-active fleet-test-tool; curl -s http://127.0.0.1:9300/')).toBe('active\ntool 1.0.0\n');
    // The next apply still sees the wanted version missing and tries again: nothing is silently accepted.
    const check = await apply(file, { version: '3.0.0' }, '--limit', 'res-ufw', '--check');
    expect(changed(check.report)).toContain('update artifact /usr/local/bin/fleet-test-tool');
  });

  it('with artifacts.fetch=host the host downloads and verifies the archive itself', async () => {
    const file = await setUp();
    await applyOrFail(file, {});
    const before = mirror.requests.length;
    const run = await apply(file, { version: '2.0.0' }, '--limit', 'res-nft', '-e', 'artifacts.fetch=host');
    expect(run.code, JSON.stringify(run.report)).toBe(0);
    expect(await onHost(1, 'curl -s http://127.0.0.1:9300/; cut -c1-12 /var/lib/fleet/artifacts/tool')).toMatch(/^tool 2\.0\.0\n[0-9a-f]{12}\n$/);
    // The host fetched the archive (the controller only read the small checksum file, already cached).
    expect(mirror.requests.slice(before).filter((path) => path.endsWith('.tar.gz'))).toEqual(['/tool/v2.0.0/tool-2.0.0.linux-amd64.tar.gz']);
    const again = await apply(file, { version: '2.0.0' }, '--limit', 'res-nft', '-e', 'artifacts.fetch=host');
    expect(again.report.hosts[0]!.status).toBe('ok');
  });

  it('an HTTP check can start on another inventory host: the firewall lets only the allowed sources in', async () => {
    const file = await setUp();
    await applyOrFail(file, {});
    await writeFile(file.replace('inventory.yaml', 'playbooks/peer.yaml'), 'tasks:\n  - http_check: { url: "http://{{host.address}}:9300/", from: res-nft, body: "tool", timeout: 3 }\n');
    const blocked = await runFleet(['apply', file, 'peer', '--limit', 'res-ufw', '--json']);
    expect(blocked.code).toBe(2);
    expect((JSON.parse(blocked.stdout) as Report).hosts[0]!.error!.message).toMatch(/^GET http:\/\/10\.213\.0\.106:9300\/ from res-nft: no answer/);
    await applyOrFail(file, { sources: '10.213.0.1,10.213.0.107' }, '--limit', 'res-ufw', '--tags', 'firewall');
    const allowed = await runFleet(['apply', file, 'peer', '--limit', 'res-ufw', '--json']);
    expect(allowed.code, allowed.stdout).toBe(0);
  });

  it('firewall rules follow the sources and can be removed, on ufw and on nftables', async () => {
    const file = await setUp();
    await applyOrFail(file, {});
    const widened = await apply(file, { sources: '10.213.0.1,10.213.0.200' }, '--tags', 'firewall');
    expect([changed(widened.report, 0), changed(widened.report, 1)]).toEqual([
      ['update firewall 9300/tcp'],
      ['update firewall 9300/tcp'],
    ]);
    expect(await onHost(0, 'ufw status | grep -c "9300/tcp.*# fleet"')).toBe('2\n');
    expect(await onHost(1, 'nft list chain inet filter input | grep -c "fleet 9300/tcp"; grep -c "fleet 9300/tcp" /etc/nftables.conf')).toBe('2\n2\n');

    await writeFile(file.replace('inventory.yaml', 'playbooks/close.yaml'), 'tasks:\n  - firewall: { port: 9300, state: absent }\n');
    const closed = await runFleet(['apply', file, 'close', '--json']);
    expect(closed.code).toBe(0);
    expect(await onHost(0, 'ufw status | grep -c 9300 || true')).toBe('0\n');
    expect(await onHost(1, 'nft list ruleset | grep -c 9300 || true; grep -c 9300 /etc/nftables.conf || true')).toBe('0\n0\n');
    expect(await onHost(1, 'nft list chain inet filter input | grep -c "tcp dport 22 accept"')).toBe('1\n');
  });
});
