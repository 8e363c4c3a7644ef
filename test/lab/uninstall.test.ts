import { beforeAll, describe, expect, it } from 'vitest';
import { enableLabPrometheus, runInLabHost } from '../../src/lab/lab.ts';
import { runFleet } from '../helpers/run-fleet.ts';
import { enableNftables, labUnavailable, useLabHosts, writeLabInventory } from './lab-hosts.ts';
import { useLabMirror } from './mirror.ts';

interface RemoveReport {
  uninstall: { host: string; status: string; result: { changes: { resource: string; action: string }[] } }[];
}

/** Everything fleet puts on a host for Node Exporter and Alloy, listed by what exists of it. */
const FLEET_PATHS = '/usr/local/bin/node_exporter /usr/local/bin/alloy /etc/systemd/system/node_exporter.service /etc/systemd/system/alloy.service /etc/node_exporter /etc/alloy /etc/default/alloy /var/lib/alloy /var/lib/fleet';

describe.skipIf(labUnavailable)('fleet remove --uninstall against lab hosts', () => {
  const hosts = useLabHosts([
    { name: 'gone-prom', index: 190 },
    { name: 'gone-a', index: 191 },
    { name: 'gone-b', index: 192 },
  ]);
  const mirror = useLabMirror();
  let file: string;
  const onHost = async (index: number, command: string) => (await runInLabHost(hosts[index]!, command)).stdout;
  const remove = async (...args: string[]) => {
    const run = await runFleet(['remove', file, '--json', ...args], mirror.env);
    return { code: run.code, report: JSON.parse(run.stdout) as RemoveReport, stderr: run.stderr };
  };
  const actions = (report: RemoveReport, host: string) => report.uninstall.find((item) => item.host === host)!.result.changes.filter((change) => change.action !== 'same').map((change) => `${change.action} ${change.resource}`);
  const prometheusInstances = async () => onHost(0, `curl -s http://127.0.0.1:9090/api/v1/targets | grep -o '"instance":"[^"]*"' | sort -u`);

  beforeAll(async () => {
    if (labUnavailable) return;
    await enableLabPrometheus(hosts[0]!);
    await enableNftables(hosts[1]!);
    ({ file } = await writeLabInventory(hosts, '', { mirrorUrl: mirror.url, prometheusServers: ['gone-prom'] }));
    // gone-b had Node Exporter before fleet: installed the same way, but the record of that install is dropped,
    // so to fleet's later apply it is found, not created.
    const preinstall = await runFleet(['apply', file, 'node-exporter', '--limit', 'gone-b', '--no-register'], mirror.env);
    if (preinstall.code !== 0) throw new Error(`pre-install failed:\n${preinstall.stdout}\n${preinstall.stderr}`);
    await onHost(2, 'rm -rf /var/lib/fleet');
    const apply = await runFleet(['apply', file], mirror.env);
    if (apply.code !== 0) throw new Error(`setup apply failed:\n${apply.stdout}\n${apply.stderr}`);
  });

  it('apply records on each host only what it created', async () => {
    const record = JSON.parse(await onHost(1, 'cat /var/lib/fleet/state.json')) as { lastApply: string; created: { resource: string }[] };
    expect(Date.now() - Date.parse(record.lastApply)).toBeLessThan(10 * 60_000);
    expect(record.created.map((entry) => entry.resource)).toEqual(expect.arrayContaining(['user node_exporter', 'artifact /usr/local/bin/node_exporter', 'unit /etc/systemd/system/alloy.service', 'firewall 9100/tcp']));
    const found = (JSON.parse(await onHost(2, 'cat /var/lib/fleet/state.json')) as { created: { resource: string }[] }).created.map((entry) => entry.resource);
    expect(found.some((resource) => resource.includes('node_exporter'))).toBe(false);
    expect(found).toContain('unit /etc/systemd/system/alloy.service');
  });

  it('--check shows the plan and changes nothing', async () => {
    const before = await onHost(1, `ls -d ${FLEET_PATHS} 2>/dev/null; systemctl is-active node_exporter alloy; nft list ruleset | grep -c fleet`);
    const plan = await remove('gone-a', '--uninstall', '--check');
    expect(plan.code, plan.stderr).toBe(0);
    expect(actions(plan.report, 'gone-a')).toEqual(expect.arrayContaining(['update service node_exporter', 'delete unit /etc/systemd/system/node_exporter.service', 'delete file /usr/local/bin/alloy', 'delete firewall 9100/tcp', 'delete user alloy']));
    expect(await onHost(1, `ls -d ${FLEET_PATHS} 2>/dev/null; systemctl is-active node_exporter alloy; nft list ruleset | grep -c fleet`)).toBe(before);
    expect(await prometheusInstances()).toContain('"instance":"gone-a"');
  });

  it('uninstall leaves nothing of fleet on the host, Prometheus drops it, and a second run changes nothing', async () => {
    const run = await remove('gone-a', '--uninstall');
    expect(run.code, run.stderr).toBe(0);
    expect(await onHost(1, `ls -d ${FLEET_PATHS} 2>&1 | grep -vc 'No such file'; getent passwd node_exporter alloy; getent group node_exporter alloy; systemctl is-active node_exporter alloy; nft list ruleset | grep -c fleet`)).toBe('0\ninactive\ninactive\n0\n');
    const deadline = Date.now() + 60_000;
    while ((await prometheusInstances()).includes('"instance":"gone-a"') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await prometheusInstances()).not.toContain('"instance":"gone-a"');
    expect(await prometheusInstances()).toContain('"instance":"gone-b"');

    const again = await remove('gone-a', '--uninstall');
    expect(again.code, again.stderr).toBe(0);
    expect(actions(again.report, 'gone-a')).toEqual([]);

    // fleet check sees none of its resources on the host any more: each one is to be created again.
    const check = await runFleet(['check', file, '--json', '--limit', 'gone-a'], mirror.env);
    const drift = (JSON.parse(check.stdout) as { drift: { resource: string; reason: string }[] }).drift.map((item) => item.resource);
    expect(drift).toEqual(expect.arrayContaining(['user node_exporter', 'user alloy', 'artifact /usr/local/bin/node_exporter', 'artifact /usr/local/bin/alloy', 'unit /etc/systemd/system/node_exporter.service', 'file /etc/alloy/config.alloy', 'service alloy', 'firewall 9100/tcp']));
  });

  it('--component alloy removes Alloy and its target only: the host stays registered and Prometheus goes on scraping its Node Exporter', async () => {
    const run = await runFleet(['remove', file, 'gone-b', '--component', 'alloy', '--json'], mirror.env);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as RemoveReport & { registration: { result: { targets: { instance: string; job: string }[] } }[] };
    expect(report.registration[0]!.result.targets.filter((target) => target.instance === 'gone-b').map((target) => target.job)).toEqual(['fleet-node']);
    expect(await onHost(2, 'ls -d /usr/local/bin/alloy /etc/alloy /etc/systemd/system/alloy.service 2>&1 | grep -vc "No such file"; systemctl is-active alloy node_exporter')).toBe('0\ninactive\nactive\n');

    // As Prometheus itself sees it: the Alloy target gone, the Node Exporter target scraped after the removal and up.
    const removedAt = Date.now();
    const targetsOfB = async () =>
      (JSON.parse(await onHost(0, 'curl -s http://127.0.0.1:9090/api/v1/targets?state=active')) as { data: { activeTargets: { labels: Record<string, string>; health: string; lastScrape: string }[] } }).data.activeTargets.filter((target) => target.labels.instance === 'gone-b');
    const deadline = Date.now() + 60_000;
    let targets = await targetsOfB();
    while (!(targets.length === 1 && Date.parse(targets[0]!.lastScrape) > removedAt) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      targets = await targetsOfB();
    }
    expect(targets.map((target) => ({ job: target.labels.job, health: target.health, fresh: Date.parse(target.lastScrape) > removedAt }))).toEqual([{ job: 'fleet-node', health: 'up', fresh: true }]);
  });

  it('a Node Exporter that was there before fleet survives uninstall; what fleet added goes', async () => {
    const run = await remove('gone-b', '--uninstall');
    expect(run.code, run.stderr).toBe(0);
    expect(await onHost(2, 'ls -d /usr/local/bin/node_exporter /etc/systemd/system/node_exporter.service; getent passwd node_exporter | cut -d: -f1; systemctl is-active node_exporter; curl -s http://127.0.0.1:9100/metrics | grep -c ^node_exporter_build_info')).toBe(
      '/etc/systemd/system/node_exporter.service\n/usr/local/bin/node_exporter\nnode_exporter\nactive\n1\n',
    );
    expect(await onHost(2, `ls -d /usr/local/bin/alloy /etc/alloy /etc/systemd/system/alloy.service /var/lib/fleet 2>&1 | grep -vc 'No such file'; getent passwd alloy; systemctl is-active alloy`)).toBe('0\ninactive\n');
  });
});
