import { readFile, writeFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { enableLabPrometheus, runInLabHost } from '../../src/lab/lab.ts';
import { runFleet } from '../helpers/run-fleet.ts';
import { labUnavailable, useLabHosts, writeLabInventory } from './lab-hosts.ts';
import { useLabMirror } from './mirror.ts';

interface Report {
  hosts: { host: string; status: string }[];
  registration: { host: string; status: string; error?: { message: string } }[];
}

describe.skipIf(labUnavailable)('two shards applied concurrently by two fleet processes', () => {
  const hosts = useLabHosts([
    { name: 'shard-prom', index: 230 },
    ...Array.from({ length: 8 }, (_, index) => ({ name: `shard-${index + 1}`, index: 231 + index })),
  ]);
  const mirror = useLabMirror();
  beforeAll(async () => {
    if (!labUnavailable) await enableLabPrometheus(hosts[0]!);
  });
  const onMonitor = async (command: string) => (await runInLabHost(hosts[0]!, command)).stdout;
  const upInstances = async (job: string) => {
    const body = await onMonitor('curl -s http://127.0.0.1:9090/api/v1/targets?state=active');
    const active = (JSON.parse(body) as { data: { activeTargets: { labels: Record<string, string>; health: string }[] } }).data.activeTargets;
    return active.filter((target) => target.labels.job === job && target.health === 'up').map((target) => target.labels.instance).sort();
  };

  it('converges every host exactly once, each shard writes its own target files, and Prometheus lists all hosts', async () => {
    const written = await writeLabInventory(hosts, '', { mirrorUrl: mirror.url, prometheusServers: [hosts[0]!.name] });
    const text = await readFile(written.file, 'utf8');
    await writeFile(written.file, text.replace('  scrape_interval: 5s', '  scrape_interval: 5s\n  wait_for_targets: 90'));
    const shards = await Promise.all(
      [0, 1].map(async (index) => {
        const result = await runFleet(['apply', written.file, '--shard', `${index}/2`, '--json'], mirror.env);
        return { index, code: result.code, report: JSON.parse(result.stdout) as Report, stderr: result.stderr };
      }),
    );
    for (const shard of shards) expect(shard.code, `shard ${shard.index}: ${JSON.stringify(shard.report.registration)}\n${shard.stderr}`).toBe(0);
    const converged = shards.flatMap((shard) => shard.report.hosts.map((host) => host.host)).sort();
    expect(converged).toEqual(hosts.map((host) => host.name).sort());
    expect(shards.every((shard) => shard.report.hosts.length > 0)).toBe(true);

    const files = (await onMonitor('ls /etc/prometheus/file_sd')).split('\n').filter(Boolean).sort();
    expect(files).toEqual(['fleet-alloy.shard-0-of-2.json', 'fleet-alloy.shard-1-of-2.json', 'fleet-node.shard-0-of-2.json', 'fleet-node.shard-1-of-2.json']);
    for (const shard of shards) {
      const listed = (JSON.parse(await onMonitor(`cat /etc/prometheus/file_sd/fleet-node.shard-${shard.index}-of-2.json`)) as { labels: { instance: string } }[]).map((group) => group.labels.instance).sort();
      expect(listed).toEqual(shard.report.hosts.map((host) => host.host).sort());
    }
    expect(await upInstances('fleet-node')).toEqual(hosts.map((host) => host.name).sort());
    expect(await upInstances('fleet-alloy')).toEqual(hosts.map((host) => host.name).sort());

    // A run without --shard writes its own file and, asked to, removes the shard files; Prometheus still lists every host.
    const whole = await runFleet(['register', written.file, '--prune-shard-files', '--json'], mirror.env);
    expect(whole.code, whole.stdout + whole.stderr).toBe(0);
    expect((await onMonitor('ls /etc/prometheus/file_sd')).split('\n').filter(Boolean).sort()).toEqual(['fleet-alloy.json', 'fleet-node.json']);
    expect(await upInstances('fleet-node')).toEqual(hosts.map((host) => host.name).sort());
  });
});
