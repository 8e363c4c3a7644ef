import { readFile, writeFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { enableLabPrometheus } from '../../src/lab/lab.ts';
import { runFleet } from '../helpers/run-fleet.ts';
import { labUnavailable, onLabHost, useLabHosts, writeLabInventory } from './lab-hosts.ts';
import { useLabMirror } from './mirror.ts';

interface SampleState {
  instance: string;
  job: string;
  state: string;
  lastSample?: string;
}
interface Report {
  hosts: { host: string; status: string; error?: { message: string } }[];
  registration: { host: string; status: string; error?: { message: string }; result?: { samples?: SampleState[] } }[];
}

/**
 * Alloy on each host remote-writes to a central Prometheus with the receiver on, and fleet proves the
 * samples arrived by querying it. The hosts run the lab's Alloy stand-in (not Grafana Alloy), which
 * ships real remote write 1.0 requests; the receiver is Debian's Prometheus.
 */
describe.skipIf(labUnavailable)('remote write from Alloy to a central Prometheus, proven at the receiver', () => {
  const hosts = useLabHosts([
    { name: 'rw-prom', index: 160 },
    { name: 'rw-host', index: 161 },
    { name: 'rw-app', index: 162 },
  ]);
  const mirror = useLabMirror();
  const [prom, app] = [0, 2];
  const onHost = (index: number, command: string) => onLabHost(hosts[index]!, command);
  let file: string;

  beforeAll(async () => {
    if (labUnavailable) return;
    await enableLabPrometheus(hosts[prom]!);
    await onHost(prom, 'echo \'ARGS="--web.enable-remote-write-receiver"\' >> /etc/default/prometheus && systemctl restart prometheus && for i in $(seq 1 100); do curl -sf http://127.0.0.1:9090/-/ready >/dev/null && break; sleep 0.1; done');
    ({ file } = await writeLabInventory(hosts, '', { mirrorUrl: mirror.url, prometheusServers: [hosts[prom]!.name] }));
    // rw-host ships its host metrics (the unix exporter); rw-app scrapes its own Node Exporter as an application.
    const text = (await readFile(file, 'utf8'))
      .replace('  scrape_interval: 5s', '  scrape_interval: 5s\n  wait_for_targets: 30')
      .replace(/(      rw-host:\n        address: .*\n)/, '$1        vars:\n          alloy:\n            host_metrics: true\n')
      .replace(/(      rw-app:\n        address: .*\n)/, '$1        vars:\n          alloy:\n            extra_scrapes:\n              - name: app\n                address: 127.0.0.1:9100\n');
    await writeFile(file, text);
  });

  const apply = async () => {
    const result = await runFleet(['apply', file, '--json'], mirror.env);
    return { code: result.code, report: JSON.parse(result.stdout) as Report, stdout: result.stdout, stderr: result.stderr };
  };
  /** The receiver's own answer to a PromQL query, asked on its host. */
  const query = async (promql: string) =>
    (JSON.parse(await onHost(prom, `curl -s -G --data-urlencode 'query=${promql}' http://127.0.0.1:9090/api/v1/query`)) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;

  it('apply waits until each host\'s series are at the receiver and reports them per host', async () => {
    const run = await apply();
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const samples = run.report.registration[0]!.result!.samples!;
    expect(samples.map(({ instance, job, state }) => ({ instance, job, state }))).toEqual([
      { instance: 'rw-host', job: 'integrations/node_exporter', state: 'arrived' },
      { instance: 'rw-app', job: 'app', state: 'arrived' },
    ]);

    // What a user would ask the receiver: the hosts' series, labelled as config.alloy says, with real values.
    const memory = await query('node_memory_MemAvailable_bytes{job="integrations/node_exporter"}');
    expect(memory.map((sample) => sample.metric.instance)).toEqual(['rw-host']);
    expect(Number(memory[0]!.value[1])).toBeGreaterThan(0);
    const up = await query('up{job="app"}');
    expect(up.map((sample) => [sample.metric.instance, sample.value[1]])).toEqual([['rw-app', '1']]);
    // Nothing from the host that ships nothing.
    expect(await query('count by (instance) ({instance="rw-prom", job!~"fleet-.*"})')).toEqual([]);
  }, 240_000);

  it('a host whose samples stop reaching the receiver fails registration, naming the receiver and the query', async () => {
    // rw-app's Alloy can no longer reach the receiver; stopping it makes the next apply start it (a change).
    await onHost(app, `nft add table inet rwtest && nft add chain inet rwtest out '{ type filter hook output priority 0; }' && nft add rule inet rwtest out ip daddr ${hosts[prom]!.address} tcp dport 9090 reject with tcp reset && systemctl stop alloy`);
    try {
      const run = await apply();
      expect(run.code).not.toBe(0);
      expect(run.report.hosts.find((host) => host.host === 'rw-app')!.status).toBe('changed');
      const server = run.report.registration[0]!;
      expect(server.status).toBe('failed');
      const url = `http://${hosts[prom]!.address}:9090`;
      expect(server.error!.message).toContain(`no samples from Alloy on rw-app (job app, nothing newer than `);
      expect(server.error!.message).toContain(`reached ${url}/api/v1/write within 30 s: fleet queried ${url}/api/v1/query with max by (instance, job) (timestamp(up{instance=~"rw-host|rw-app", job=~"integrations/node_exporter|app"}))`);
      expect(server.result!.samples!.map(({ instance, state }) => [instance, state])).toEqual([['rw-host', 'arrived'], ['rw-app', 'missing']]);
      // The stand-in says why, as real Alloy would, in its journal.
      expect(await onHost(app, 'journalctl -u alloy --no-pager | grep -c "non-recoverable error" || true')).not.toBe('0\n');
    } finally {
      await onHost(app, 'nft delete table inet rwtest');
    }
    // Reachable again: the receiver gets rw-app's samples within a few scrape intervals, and apply passes.
    const deadline = Date.now() + 30_000;
    const fresh = async () => (await query('time() - max(timestamp(up{instance="rw-app", job="app"}))'))[0]?.value[1];
    while (!(Number(await fresh()) < 10) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(Number(await fresh())).toBeLessThan(10);
    const again = await apply();
    expect(again.code, again.stdout + again.stderr).toBe(0);
  }, 240_000);
});
