import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { enableLabPrometheus } from '../../src/lab/lab.ts';
import { runFleet } from '../helpers/run-fleet.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { enableNftables, labUnavailable, onLabHost, useLabHosts, writeLabInventory } from './lab-hosts.ts';
import { useLabMirror } from './mirror.ts';

interface CheckReport {
  exitCode: number;
  drift: { host: string; resource: string; reason: string }[];
  hosts: { host: string; state: string; connection?: { commands: number; uploadedBytes: number } }[];
}

describe.skipIf(labUnavailable)('fleet check against lab hosts', () => {
  const hosts = useLabHosts([
    { name: 'drift-prom', index: 116 },
    { name: 'drift-a', index: 117 },
  ]);
  const mirror = useLabMirror();
  let file: string;
  beforeAll(async () => {
    if (labUnavailable) return;
    await enableLabPrometheus(hosts[0]!);
    await enableNftables(hosts[1]!);
    ({ file } = await writeLabInventory(hosts, '', { mirrorUrl: mirror.url, prometheusServers: ['drift-prom'] }));
    const apply = await runFleet(['apply', file], mirror.env);
    if (apply.code !== 0) throw new Error(`setup apply failed:\n${apply.stdout}\n${apply.stderr}`);
  });
  const check = async (...args: string[]) => {
    const run = await runFleet(['check', file, '--json', ...args], mirror.env);
    return { code: run.code, report: JSON.parse(run.stdout) as CheckReport };
  };
  const onHost = (index: number, command: string) => onLabHost(hosts[index]!, command);
  /** Everything a check must leave alone: file contents and mtimes, unit states, firewall rules, Prometheus' last reload. */
  const snapshot = async () =>
    (await onHost(1, 'stat -c "%n %Y %s" /etc/alloy/config.alloy /usr/local/bin/node_exporter /usr/local/bin/alloy /etc/systemd/system/node_exporter.service; systemctl is-enabled node_exporter alloy; systemctl is-active node_exporter alloy; nft list ruleset')) +
    (await onHost(0, 'stat -c "%n %Y" /etc/prometheus/prometheus.yml /etc/prometheus/file_sd/*.json; curl -s http://127.0.0.1:9090/metrics | grep ^prometheus_config_last_reload_success_timestamp'));

  it('a clean fleet exits 0, and the metrics file parses with promtool', async () => {
    const metricsFile = join(await mkdtemp(join(tmpdir(), 'fleet-metrics-')), 'fleet.prom');
    const clean = await check('--metrics-file', metricsFile);
    expect(clean.code, JSON.stringify(clean.report.drift)).toBe(0);
    expect(clean.report.hosts.map((host) => host.state)).toEqual(['in-sync', 'in-sync']);
    const metrics = await readFile(metricsFile, 'utf8');
    expect(metrics).toContain('fleet_host_drifted_resources{host="drift-a"} 0');
    // promtool of the lab's Prometheus host (Debian's package), not whatever the controller may lack.
    expect(await onHost(0, `promtool check metrics 2>&1 <<'FLEET_EOF'\n${metrics}FLEET_EOF`)).toBe('');
  });

  it('a converged host costs one command after connecting, in apply and in check (counted on the SSH session)', async () => {
    const apply = await runFleet(['apply', file, '--json'], mirror.env);
    expect(apply.code, apply.stderr).toBe(0);
    const applied = (JSON.parse(apply.stdout) as { hosts: { host: string; status: string; connection: unknown }[] }).hosts.find((host) => host.host === 'drift-a')!;
    expect(applied).toMatchObject({ status: 'ok', connection: { commands: 1, uploadedBytes: 0 } });
    const checked = await check();
    // The four endpoint checks' first attempts went through SSH tunnels beside that command.
    expect(checked.report.hosts.find((host) => host.host === 'drift-a')).toMatchObject({ state: 'in-sync', connection: { commands: 1, uploadedBytes: 0, tunnels: 4 } });
  });

  it("where the host's sshd refuses tunnels (AllowTcpForwarding no), the checks' first attempts take the host's curl in one more command", async () => {
    await onHost(1, "echo 'AllowTcpForwarding no' >/etc/ssh/sshd_config.d/fleet-test-no-tunnels.conf && systemctl reload ssh.service");
    try {
      const checked = await check();
      expect(checked.code, JSON.stringify(checked.report.drift)).toBe(0);
      const host = checked.report.hosts.find((entry) => entry.host === 'drift-a')!;
      expect(host).toMatchObject({ state: 'in-sync', connection: { commands: 2 } });
      expect(host.connection).not.toHaveProperty('tunnels');
    } finally {
      await onHost(1, 'rm -f /etc/ssh/sshd_config.d/fleet-test-no-tunnels.conf && systemctl reload ssh.service');
    }
  });

  it('detects every kind of tampering in words, writes nothing, and apply repairs it all', async () => {
    await onHost(1, [
      'echo "// edited by hand" >> /etc/alloy/config.alloy',
      'cp /bin/true /usr/local/bin/node_exporter.new && mv /usr/local/bin/node_exporter.new /usr/local/bin/node_exporter',
      'systemctl disable --now alloy 2>/dev/null',
      'nft delete rule inet filter input handle $(nft -a list chain inet filter input | sed -n "s/.*fleet 9100.*handle \\([0-9]*\\)$/\\1/p")',
    ].join(' && '));
    await onHost(0, `sed -i 's/"drift-a"/"renamed"/' /etc/prometheus/file_sd/fleet-alloy.json`);
    // Prometheus reads the changed file on its own; the check below must see the result, not race it.
    const alloyTargets = async () => (JSON.parse(await onHost(0, 'curl -s http://127.0.0.1:9090/api/v1/targets?state=active')) as { data: { activeTargets: { labels: Record<string, string> }[] } }).data.activeTargets.filter((target) => target.labels.job === 'fleet-alloy').map((target) => target.labels.instance);
    await waitFor('Prometheus to read the renamed target', async () => (await alloyTargets()).includes('renamed'), 60_000, 250);
    const before = await snapshot();
    const metricsFile = join(await mkdtemp(join(tmpdir(), 'fleet-metrics-')), 'fleet.prom');
    const drifted = await check('--metrics-file', metricsFile);
    expect(drifted.code).toBe(2);
    const words = drifted.report.drift.map((item) => `${item.host} ${item.resource}: ${item.reason}`).sort();
    // Exactly these five tamperings and what follows from them (Alloy stopped: its three endpoint
    // checks fail; its target renamed: Prometheus lacks drift-a), nothing missed, nothing extra.
    const mirrorPath = mirror.url.replace(/[.]/g, '\\.');
    const alloyDown = (path: string) => new RegExp(`^drift-a http http://127\\.0\\.0\\.1:12345${path} from host: not as expected: no answer: curl: \\(7\\) Failed to connect to 127\\.0\\.0\\.1 port 12345`);
    expect(words).toEqual([
      expect.stringMatching(new RegExp(`^drift-a artifact /usr/local/bin/node_exporter: binary differs \\(host has sha256 [0-9a-f]{12}…, want sha256 [0-9a-f]{12}…\\): replace with node_exporter \\w+ from ${mirrorPath}/prometheus/node_exporter/releases/download/v1\\.5\\.0/node_exporter-1\\.5\\.0\\.linux-\\w+\\.tar\\.gz$`)),
      'drift-a file /etc/alloy/config.alloy: content differs',
      'drift-a firewall 9100/tcp: nftables: closed -> open to 10.213.0.116',
      expect.stringMatching(alloyDown('/-/healthy')),
      expect.stringMatching(alloyDown('/-/ready')),
      expect.stringMatching(alloyDown('/metrics')),
      'drift-a service alloy: disabled -> enabled, stopped -> running',
      'drift-prom file /etc/prometheus/file_sd/fleet-alloy.json: content differs',
      'drift-prom target fleet-alloy drift-a: 10.213.0.117:12345 is missing from Prometheus',
    ]);
    expect(await readFile(metricsFile, 'utf8')).toContain('fleet_drift{host="drift-a",resource="service alloy"} 1');
    // Read-only: the check touched nothing anywhere.
    expect(await snapshot()).toBe(before);

    const repair = await runFleet(['apply', file], mirror.env);
    expect(repair.code, repair.stdout).toBe(0);
    const after = await check();
    expect(after.code, JSON.stringify(after.report.drift)).toBe(0);
  });

  it('without --diff the drift is in words only; --diff adds the file diffs', async () => {
    await onHost(1, 'echo "# edited by hand" >> /etc/default/alloy');
    const withDiff = await runFleet(['check', file, '--diff'], mirror.env);
    const withoutDiff = await runFleet(['check', file], mirror.env);
    await onHost(1, "sed -i '/edited by hand/d' /etc/default/alloy");
    for (const run of [withDiff, withoutDiff]) {
      expect(run.code, run.stdout).toBe(2);
      expect(run.stdout).toContain('drift-a: drift file /etc/default/alloy: content differs');
    }
    expect(withDiff.stdout).toMatch(/^-# edited by hand$/m);
    expect(withoutDiff.stdout).not.toContain('edited by hand');
    expect(withoutDiff.stdout).not.toMatch(/^(---|\+\+\+|@@) /m);
  });

  it('exits 3 when a host answers but cannot be checked and nothing drifted elsewhere', async () => {
    // The same machine reached as a user without sudo: SSH works, reading the host's state does not.
    const { file: withLocked } = await writeLabInventory(hosts, `hosts:\n  locked:\n    address: ${hosts[1]!.address}\n    ssh: { user: nosudo }\n    vars: { prometheus_register: false }\n`, {
      mirrorUrl: mirror.url,
      prometheusServers: ['drift-prom'],
    });
    const run = await runFleet(['check', withLocked, '--json'], mirror.env);
    const report = JSON.parse(run.stdout) as CheckReport;
    expect(run.code, JSON.stringify(report.drift)).toBe(3);
    expect(report.exitCode).toBe(3);
    expect(report.drift).toEqual([]);
    expect(report.hosts.map((host) => `${host.host} ${host.state}`).sort()).toEqual(['drift-a in-sync', 'drift-prom in-sync', 'locked failed']);
  });

  it('a binary replaced by another of the same size and mtime is still drift (ctime and inode changed), without re-hashing a converged host', async () => {
    const binary = '/usr/local/bin/node_exporter';
    const record = '/var/lib/fleet/artifacts/node_exporter.identity';
    // fleet recorded the binary's identity and hash at install; a converged check trusts the record...
    const recorded = await onHost(1, `cat ${record}`);
    expect(recorded).toMatch(new RegExp(`^${binary}\\|\\d+\\|.+ [0-9a-f]{64}\\n$`));
    await onHost(1, `sed -i 's/[0-9a-f]\\{64\\}$/${'0'.repeat(64)}/' ${record}`);
    const trusting = await check();
    expect(trusting.report.drift.map((item) => item.reason)).toEqual([expect.stringContaining('host has sha256 000000000000…')]);
    // ...and --verify-hashes hashes in full, whatever the record says.
    expect((await check('--verify-hashes')).code).toBe(0);
    await onHost(1, `printf '%s' ${JSON.stringify(recorded)} > ${record}`);

    // Same size (one byte changed in a copy), same mtime (touch -r), moved into place: no touch-visible change.
    const sizeAndMtime = async () => onHost(1, `stat -c '%s %y' ${binary}`);
    const before = await sizeAndMtime();
    await onHost(1, [
      `cp ${binary} /tmp/impostor`,
      `printf 'X' | dd of=/tmp/impostor bs=1 seek=4096 conv=notrunc 2>/dev/null`,
      `touch -r ${binary} /tmp/impostor`,
      `mv /tmp/impostor ${binary}`,
    ].join(' && '));
    expect(await sizeAndMtime()).toBe(before);
    const drifted = await check();
    expect(drifted.code).toBe(2);
    expect(drifted.report.drift.map((item) => `${item.host} ${item.resource}: ${item.reason}`)).toContainEqual(expect.stringMatching(/^drift-a artifact \/usr\/local\/bin\/node_exporter: binary differs \(host has sha256 \w+…, want sha256 \w+…\)/));
    const repair = await runFleet(['apply', file], mirror.env);
    expect(repair.code, repair.stdout).toBe(0);
    expect((await check()).code).toBe(0);
  });

  it('an unreachable host is reported without hiding drift on the others', async () => {
    const { file: withGhost } = await writeLabInventory(hosts, `hosts:\n  ghost:\n    address: 10.213.0.250\n    ssh: { connect_timeout: 2 }\n    vars: { prometheus_register: false }\n`, {
      mirrorUrl: mirror.url,
      prometheusServers: ['drift-prom'],
    });
    await onHost(1, 'chmod 600 /etc/default/alloy');
    const run = await runFleet(['check', withGhost, '--json'], mirror.env);
    await onHost(1, 'chmod 644 /etc/default/alloy');
    const report = JSON.parse(run.stdout) as CheckReport;
    expect(run.code).toBe(2);
    expect(report.hosts.find((host) => host.host === 'ghost')!.state).toBe('unreachable');
    expect(report.drift.map((item) => `${item.host} ${item.resource}: ${item.reason}`)).toEqual(['drift-a file /etc/default/alloy: mode 0600 -> 0644']);
  });
});
