import { describe, expect, it } from 'vitest';
import type { LabSuite } from '../../src/lab/rootfs.ts';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LAB_ALLOY_VERSIONS, labArch } from '../../src/lab/mirror.ts';
import { packRelease } from '../../src/lab/release-pack.ts';
import { runFleet } from '../helpers/run-fleet.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { enableNftables, enableUfw, labUnavailable, onLabHost, useLabHosts, writeLabInventory } from './lab-hosts.ts';
import { useLabMirror } from './mirror.ts';

interface Report {
  hosts: { host: string; status: string; error?: { message: string; step: string }; result?: { changes: { resource: string; action: string; reason: string }[] } }[];
}

/**
 * The agents suite, run on Debian 12 (agents.test.ts) and Debian 13 (agents-debian13.test.ts) hosts: two
 * files, so they run in parallel. `first` is the first of the three address indexes it uses.
 */
export function agentsSuite(suite: LabSuite, first: number): void {
  describe.skipIf(labUnavailable)(`Node Exporter and Alloy on lab hosts (fleet apply, site playbook), Debian ${suite === 'bookworm' ? 12 : 13}`, () => {
    const tag = suite === 'bookworm' ? '' : '-13';
    const hosts = useLabHosts([
      { name: `agents-plain${tag}`, index: first, suite },
      { name: `agents-ufw${tag}`, index: first + 1, suite },
      { name: `agents-nft${tag}`, index: first + 2, suite },
    ]);
    const mirror = useLabMirror();
    const inventory = (vars: Record<string, unknown> = {}, only = hosts) => writeLabInventory(only, '', { mirrorUrl: mirror.url, vars });
    const apply = async (file: string, ...args: string[]) => {
      const run = await runFleet(['apply', file, '--json', ...args], mirror.env);
      return { code: run.code, report: JSON.parse(run.stdout) as Report };
    };
    /** A set-up apply: the test is about what comes after, so a failure here stops it with the reason. */
    const applyOrFail = async (file: string) => {
      const run = await apply(file);
      if (run.code !== 0) throw new Error(`set-up apply failed (exit ${run.code}): ${JSON.stringify(run.report.hosts.map((host) => host.error))}`);
    };
    const onHost = (index: number, command: string) => onLabHost(hosts[index]!, command);
    const pids = (index: number) => onHost(index, 'for unit in node_exporter alloy; do systemctl show -p MainPID --value $unit; done');
    const changed = (report: Report, host = 0) => report.hosts[host]!.result!.changes.filter((change) => !['same', 'skip'].includes(change.action)).map((change) => `${change.action} ${change.resource}`);

    it('fresh hosts converge in one apply, answer from the bridge, and a second apply changes nothing', async () => {
      const { file } = await inventory({}, [hosts[0]!]);
      const first = await apply(file);
      expect(first.code, JSON.stringify(first.report.hosts[0]!.error)).toBe(0);
      const address = hosts[0]!.address;
      const metrics = await (await fetch(`http://${address}:9100/metrics`)).text();
      expect(metrics).toMatch(/node_exporter_build_info\{[^}]*version="1\.5\.0"/);
      // The hardening leaves the systemd (D-Bus) and textfile collectors working.
      expect(metrics).toMatch(/node_systemd_unit_state\{name="alloy\.service",state="active"/);
      await onHost(0, 'printf "fleet_lab_probe 42\\n" > /var/lib/node_exporter/textfile_collector/.p.tmp && mv /var/lib/node_exporter/textfile_collector/.p.tmp /var/lib/node_exporter/textfile_collector/probe.prom');
      expect(await (await fetch(`http://${address}:9100/metrics`)).text()).toContain('fleet_lab_probe 42');
      const ready = await fetch(`http://${address}:12345/-/ready`);
      expect([ready.status, await ready.text()]).toEqual([200, 'Alloy is ready.\n']);
      // Laid out as the official package's post-install does.
      expect(await onHost(0, 'id -Gn alloy; stat -c "%a %U:%G" /var/lib/alloy/data /etc/alloy; grep ^CUSTOM_ARGS /etc/default/alloy; systemctl show -p User --value node_exporter alloy')).toBe(
        'alloy adm systemd-journal\n770 alloy:alloy\n770 root:alloy\nCUSTOM_ARGS="--server.http.listen-addr=0.0.0.0:12345 --stability.level=generally-available"\nnode_exporter\n\nalloy\n',
      );

      const before = await pids(0);
      const second = await apply(file);
      expect(second.code).toBe(0);
      expect(second.report.hosts[0]!.status).toBe('ok');
      expect(changed(second.report)).toEqual([]);
      expect(await pids(0)).toBe(before);
    });

    it('an Alloy version bump restarts only Alloy; a config change reloads it; a bad config never goes live', async () => {
      const { file } = await inventory({}, [hosts[0]!]);
      await applyOrFail(file);
      const [nodePid, alloyPid] = (await pids(0)).trim().split('\n');

      const { file: bumped } = await inventory({ alloy: { version: LAB_ALLOY_VERSIONS[1] } }, [hosts[0]!]);
      const upgrade = await apply(bumped);
      expect(upgrade.code).toBe(0);
      expect(changed(upgrade.report)).toEqual(['update artifact /usr/local/bin/alloy', 'update service alloy']);
      const [nodeAfter, alloyAfter] = (await pids(0)).trim().split('\n');
      expect(nodeAfter).toBe(nodePid);
      expect(alloyAfter).not.toBe(alloyPid);
      expect(await onHost(0, '/usr/local/bin/alloy --version')).toContain(`version v${LAB_ALLOY_VERSIONS[1]}`);

      const { file: withLoki } = await inventory({ alloy: { version: LAB_ALLOY_VERSIONS[1], loki_url: 'http://10.213.0.1:3100/loki/api/v1/push' } }, [hosts[0]!]);
      const reload = await apply(withLoki);
      expect(reload.code, JSON.stringify(reload.report.hosts[0]!.error)).toBe(0);
      expect(reload.report.hosts[0]!.result!.changes.filter((change) => change.reason.startsWith('reloaded'))).toHaveLength(1);
      expect((await pids(0)).trim().split('\n')[1]).toBe(alloyAfter);
      // Real Alloy's metrics: the hash of the config it runs, and whether the last load worked.
      const loaded = (await onHost(0, 'sha256sum /etc/alloy/config.alloy')).split(' ')[0];
      const metrics = await (await fetch(`http://${hosts[0]!.address}:12345/metrics`)).text();
      expect(metrics).toMatch(new RegExp(`^alloy_config_hash\\{[^}]*sha256="${loaded}"\\} 1$`, 'm'));
      expect(metrics).toMatch(/^alloy_config_last_load_successful 1$/m);

      const { file: broken } = await inventory({ alloy: { version: LAB_ALLOY_VERSIONS[1], extra_config: 'fleet_test_invalid' } }, [hosts[0]!]);
      const refused = await apply(broken);
      expect(refused.code).toBe(2);
      expect(refused.report.hosts[0]!.error!.message).toContain('/etc/alloy/config.alloy: the new content was refused by: /usr/local/bin/alloy validate');
      expect(await onHost(0, 'grep -c fleet_test_invalid /etc/alloy/config.alloy || true; ls -A /etc/alloy')).toBe('0\nconfig.alloy\n');
      expect(await (await fetch(`http://${hosts[0]!.address}:12345/-/healthy`)).status).toBe(200);
    });

    it('a checksum mismatch refuses to install and a new binary that will not start is rolled back, Alloy kept running', async () => {
      const releases = join(mirror.root, 'grafana/alloy/releases/download');
      // A release whose published checksum does not match, and one whose binary crashes at start.
      await packRelease(join(releases, 'v0.8.0-badsum'), `alloy-linux-${labArch()}.zip`, { [`alloy-linux-${labArch()}`]: { content: '#!/bin/sh\nexit 0\n' } }, 'SHA256SUMS');
      await writeFile(join(releases, 'v0.8.0-badsum', 'SHA256SUMS'), `${'0'.repeat(64)}  alloy-linux-${labArch()}.zip\n`);
      await packRelease(join(releases, 'v0.9.0-broken'), `alloy-linux-${labArch()}.zip`, { [`alloy-linux-${labArch()}`]: { content: '#!/bin/sh\necho "fatal: this build cannot start" >&2\nexit 1\n' } }, 'SHA256SUMS');
      const { file } = await inventory({}, [hosts[0]!]);
      await applyOrFail(file);
      const running = await onHost(0, 'sha256sum /usr/local/bin/alloy');

      const { file: badsum } = await inventory({ alloy: { version: '0.8.0-badsum' } }, [hosts[0]!]);
      const refused = await apply(badsum);
      expect(refused.code).toBe(2);
      expect(refused.report.hosts[0]!.error!.message).toMatch(/checksum mismatch for .*v0\.8\.0-badsum\/alloy-linux-\w+\.zip: expected 0{64}, downloaded \w+; refusing to install it/);
      expect(await onHost(0, 'sha256sum /usr/local/bin/alloy; systemctl is-active alloy')).toBe(`${running}active\n`);

      const { file: broken } = await inventory({ alloy: { version: '0.9.0-broken' } }, [hosts[0]!]);
      const rolledBack = await apply(broken);
      expect(rolledBack.code).toBe(2);
      expect(rolledBack.report.hosts[0]!.error!.message).toContain('fatal: this build cannot start');
      expect(rolledBack.report.hosts[0]!.error!.message).toContain('rolled back artifact /usr/local/bin/alloy: the previous binary is back and alloy runs again');
      expect(await onHost(0, 'sha256sum /usr/local/bin/alloy; systemctl is-active alloy')).toBe(`${running}active\n`);
      expect((await fetch(`http://${hosts[0]!.address}:12345/-/ready`)).status).toBe(200);
    });

    it('a port held by another process is reported with that process\'s name', async () => {
      const { file } = await inventory({}, [hosts[1]!]);
      // (no $ in the Perl: systemd-run would expand it as a variable)
      await onHost(1, `systemd-run --unit=squatter perl -MIO::Socket::INET -e 'my @keep = (IO::Socket::INET->new(LocalPort => 9100, Listen => 1, ReuseAddr => 1) or die); sleep 600'`);
      await waitFor('the squatter to listen on 9100', async () => (await onHost(1, 'ss -Hltnp "sport = :9100"')).includes('perl'));
      const run = await apply(file);
      await onHost(1, 'systemctl stop squatter');
      expect(run.code).toBe(2);
      expect(run.report.hosts[0]!.error!.message).toMatch(/node_exporter\.service did not stay up after start[\s\S]*port 9100 is already in use by perl \(pid \d+\)/);
    });

    it('behind ufw and behind nftables the hosts end with exactly the rules needed', async () => {
      await enableUfw(hosts[1]!);
      await enableNftables(hosts[2]!);
      const allow = { allow_from: ['10.213.0.1'] };
      const { file } = await inventory({ node_exporter: { version: '1.5.0', ...allow }, alloy: { version: LAB_ALLOY_VERSIONS[0], ...allow } }, [hosts[1]!, hosts[2]!]);
      const run = await apply(file);
      expect(run.code, JSON.stringify(run.report.hosts.map((host) => host.error))).toBe(0);
      expect(await onHost(1, 'ufw status | grep "# fleet"')).toMatch(/^9100\/tcp\s+ALLOW\s+10\.213\.0\.1\s+# fleet 9100\/tcp\n12345\/tcp\s+ALLOW\s+10\.213\.0\.1\s+# fleet 12345\/tcp\n$/);
      expect(await onHost(2, 'nft list chain inet filter input | grep fleet')).toBe(
        '\t\tip saddr 10.213.0.1 tcp dport 12345 accept comment "fleet 12345/tcp"\n\t\tip saddr 10.213.0.1 tcp dport 9100 accept comment "fleet 9100/tcp"\n',
      );
      for (const host of [hosts[1]!, hosts[2]!]) expect((await fetch(`http://${host.address}:9100/metrics`)).status).toBe(200);
      const again = await apply(file);
      expect([again.code, again.report.hosts.map((host) => host.status)]).toEqual([0, ['ok', 'ok']]);
    });

    it('basic auth on Node Exporter: a bcrypt hash on the host, never the password, and reruns change nothing', async () => {
      const { file } = await inventory({ node_exporter: { version: '1.5.0', web: { basic_auth_user: 'prometheus', basic_auth_password_env: 'NE_PASSWORD' } } }, [hosts[0]!]);
      const env = { ...mirror.env, NE_PASSWORD: 'correct horse battery' };
      const first = await runFleet(['apply', file, '--json', '--diff'], env);
      expect(first.code).toBe(0);
      expect(first.stdout).not.toContain('correct horse');
      expect(await onHost(0, 'grep -c "correct horse" /etc/node_exporter/web-config.yml || true; grep -oF \'$2b$10$\' /etc/node_exporter/web-config.yml')).toBe('0\n$2b$10$\n');
      const address = hosts[0]!.address;
      expect((await fetch(`http://${address}:9100/metrics`)).status).toBe(401);
      const authorized = await fetch(`http://${address}:9100/metrics`, { headers: { authorization: `Basic ${Buffer.from('prometheus:correct horse battery').toString('base64')}` } });
      expect(authorized.status).toBe(200);
      const hashOnHost = () => onHost(0, 'grep -o "\\$2b\\$10\\$[^\\"]*" /etc/node_exporter/web-config.yml');
      const hash = await hashOnHost();
      const again = await runFleet(['apply', file, '--json'], env);
      expect(again.code).toBe(0);
      expect((JSON.parse(again.stdout) as Report).hosts[0]!.status).toBe('ok');
      expect(await hashOnHost()).toBe(hash);
      // The salt is random: the same password on the same host hashes differently once the file is gone.
      await onHost(0, 'rm /etc/node_exporter/web-config.yml');
      expect((await runFleet(['apply', file], env)).code).toBe(0);
      const rehashed = await hashOnHost();
      expect(rehashed).toMatch(/^\$2b\$10\$/);
      expect(rehashed).not.toBe(hash);
      // A new password gets a new hash, which then works.
      expect((await runFleet(['apply', file], { ...env, NE_PASSWORD: 'another horse' })).code).toBe(0);
      expect(await hashOnHost()).not.toBe(rehashed);
      const changed = await fetch(`http://${address}:9100/metrics`, { headers: { authorization: `Basic ${Buffer.from('prometheus:another horse').toString('base64')}` } });
      expect(changed.status).toBe(200);
    });
  });
}
