import { beforeAll, describe, expect, it } from 'vitest';
import { enableLabPrometheus, runInLabHost } from '../../src/lab/lab.ts';
import { LAB_ALLOY_VERSIONS, LAB_NODE_EXPORTER_VERSION } from '../../src/lab/mirror.ts';
import type { HostStatusRow } from '../../src/status/host-status.ts';
import { runFleet } from '../helpers/run-fleet.ts';
import { labUnavailable, useLabHosts, writeLabInventory } from './lab-hosts.ts';
import { useLabMirror } from './mirror.ts';

describe.skipIf(labUnavailable)('fleet status against lab hosts', () => {
  const hosts = useLabHosts([
    { name: 'st-prom', index: 193 },
    { name: 'st-a', index: 194 },
  ]);
  const mirror = useLabMirror();
  let file: string;
  const onHost = async (index: number, command: string) => (await runInLabHost(hosts[index]!, command)).stdout;
  const status = async () => {
    const run = await runFleet(['status', file, '--json'], mirror.env);
    return { code: run.code, rows: new Map((JSON.parse(run.stdout) as { hosts: HostStatusRow[] }).hosts.map((row) => [row.host, row])), stderr: run.stderr };
  };
  const snapshot = async () => (await onHost(1, 'stat -c "%n %Y" /etc/alloy/config.alloy /var/lib/fleet/state.json; systemctl is-active node_exporter alloy')) + (await onHost(0, 'stat -c "%n %Y" /etc/prometheus/prometheus.yml /etc/prometheus/file_sd/*.json'));

  beforeAll(async () => {
    if (labUnavailable) return;
    await enableLabPrometheus(hosts[0]!);
    ({ file } = await writeLabInventory(hosts, `hosts:\n  st-ghost:\n    address: 10.213.0.250\n    ssh: { connect_timeout: 2 }\n    vars: { prometheus_register: false }\n`, { mirrorUrl: mirror.url, prometheusServers: ['st-prom'] }));
    const apply = await runFleet(['apply', file, '--limit', 'st-prom,st-a'], mirror.env);
    if (apply.code !== 0) throw new Error(`setup apply failed:\n${apply.stdout}\n${apply.stderr}`);
  });

  it('a converged host: versions running, services active, endpoints answering, targets up, no drift, last apply', async () => {
    const { code, rows, stderr } = await status();
    expect(code, stderr).toBe(4); // st-ghost is unreachable
    const a = rows.get('st-a')!;
    expect(a).toMatchObject({
      reachable: true,
      versions: { node_exporter: LAB_NODE_EXPORTER_VERSION, alloy: LAB_ALLOY_VERSIONS[0] },
      services: { node_exporter: 'active', alloy: 'active' },
      drift: 0,
    });
    expect(a.endpoints.answering).toBe(a.endpoints.total);
    expect(a.targets.map((target) => `${target.server} ${target.job} ${target.health}`).sort()).toEqual(['st-prom fleet-alloy up', 'st-prom fleet-node up']);
    expect(a.lastApply).toBe(JSON.parse(await onHost(1, 'cat /var/lib/fleet/state.json')).lastApply);
    expect(rows.get('st-ghost')).toMatchObject({ reachable: false });

  });

  it('costs what check costs: one command on each converged host after connecting, and the same registration reads', async () => {
    type Usage = { host: string; connection?: { commands: number } };
    const ran = await runFleet(['status', file, '--json', '--limit', 'st-prom,st-a'], mirror.env);
    const statusReport = JSON.parse(ran.stdout) as { hosts: Usage[]; registration: Usage[] };
    const check = JSON.parse((await runFleet(['check', file, '--json', '--limit', 'st-prom,st-a'], mirror.env)).stdout) as { hosts: Usage[] };
    expect(statusReport.hosts.map((host) => [host.host, host.connection?.commands])).toEqual([['st-prom', 1], ['st-a', 1]]);
    // check adds a server's registration session to its host's line; status lists registration apart.
    const total = (entries: Usage[]) => entries.reduce((sum, entry) => sum + (entry.connection?.commands ?? 0), 0);
    expect(total([...statusReport.hosts, ...statusReport.registration])).toBe(total(check.hosts));
    expect(check.hosts.find((host) => host.host === 'st-a')!.connection!.commands).toBe(1);
  });

  it('after tampering (a stopped service, a drifted file, an unreachable host) status says so, and changes nothing', async () => {
    await onHost(1, 'systemctl stop alloy && echo "// edited by hand" >> /etc/alloy/config.alloy');
    const before = await snapshot();
    const { rows } = await status();
    const a = rows.get('st-a')!;
    expect(a.reachable).toBe(true);
    expect(a.services).toEqual({ node_exporter: 'active', alloy: 'inactive' });
    expect(a.versions).toEqual({ node_exporter: LAB_NODE_EXPORTER_VERSION });
    expect(a.drift).toBe(2 + (a.endpoints.total - a.endpoints.answering)); // service alloy, file config.alloy, and the endpoints that no longer answer
    expect(a.endpoints.answering).toBeLessThan(a.endpoints.total);
    expect(rows.get('st-prom')).toMatchObject({ reachable: true, drift: 0 });
    expect(rows.get('st-ghost')).toMatchObject({ reachable: false, versions: {}, services: {} });
    expect(await snapshot()).toBe(before);

    const table = await runFleet(['status', file], mirror.env);
    expect(table.stdout).toMatch(/st-a\s+yes\s+node_exporter \S+\s+node_exporter active, alloy inactive/);
    expect(table.stdout).toMatch(/st-ghost\s+no/);
  });
});
