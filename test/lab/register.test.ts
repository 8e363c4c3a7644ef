import { readFile, writeFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { enableLabPrometheus } from '../../src/lab/lab.ts';
import { runFleet } from '../helpers/run-fleet.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { enableNftables, labUnavailable, onLabHost, useLabHosts, writeLabInventory } from './lab-hosts.ts';
import { useLabMirror } from './mirror.ts';

interface Target {
  job: string;
  instance: string;
  health: string;
  lastError?: string;
  scrapeUrl?: string;
}
interface Report {
  hosts: { host: string; status: string }[];
  registration: { host: string; status: string; error?: { message: string }; result?: { reloaded?: string; rereadTargets?: string; targets: Target[]; changes: { resource: string; action: string }[] } }[];
}

describe.skipIf(labUnavailable)('registration with the central Prometheus (Debian\'s prometheus on lab monitor hosts)', () => {
  const hosts = useLabHosts([
    { name: 'prom-a', index: 111 },
    { name: 'prom-b', index: 112 },
    { name: 'reg-1', index: 113 },
    { name: 'reg-2', index: 114 },
    { name: 'reg-3', index: 115 },
  ]);
  const mirror = useLabMirror();
  beforeAll(async () => {
    if (labUnavailable) return;
    await Promise.all([enableLabPrometheus(hosts[0]!), enableLabPrometheus(hosts[1]!)]);
  });
  const [promA, promB] = [0, 1];
  const targets = (count: number) => hosts.slice(2, 2 + count);

  /** An inventory with the given target hosts and one or both monitors as Prometheus servers. */
  const inventory = (members: typeof hosts, servers = [hosts[0]!], wait = 60, vars: Record<string, unknown> = {}) =>
    writeLabInventory(
      [...new Set([...servers, ...members])],
      '',
      { mirrorUrl: mirror.url, prometheusServers: servers.map((host) => host.name), vars },
    ).then(async (written) => {
      const text = (await readFile(written.file, 'utf8')).replace('  scrape_interval: 5s', `  scrape_interval: 5s\n  wait_for_targets: ${wait}`);
      await writeFile(written.file, text);
      return written;
    });
  const run = async (args: string[], env: Record<string, string> = {}) => {
    const result = await runFleet([...args, '--json'], { ...mirror.env, ...env });
    return { code: result.code, report: JSON.parse(result.stdout) as Report, stderr: result.stderr };
  };
  /** A set-up apply: a failure here (even one that wrote the target files) stops the test with the reason. */
  const applyOrFail = async (args: string[]) => {
    const result = await run(args);
    if (result.code !== 0) throw new Error(`set-up ${args.join(' ')} failed (exit ${result.code}): ${JSON.stringify(result.report)}`);
  };
  const fileSdHash = (index: number) => onHost(index, 'sha256sum /etc/prometheus/prometheus.yml /etc/prometheus/file_sd/*.json');
  const onHost = (index: number, command: string) => onLabHost(hosts[index]!, command);
  const lastReload = (index: number) => onHost(index, "curl -s http://127.0.0.1:9090/metrics | grep '^prometheus_config_last_reload_success_timestamp_seconds'");
  const upInstances = async (index: number, job: string) => {
    const body = await onHost(index, 'curl -s http://127.0.0.1:9090/api/v1/targets?state=active');
    const active = (JSON.parse(body) as { data: { activeTargets: { labels: Record<string, string>; health: string }[] } }).data.activeTargets;
    return active.filter((target) => target.labels.job === job && target.health === 'up').map((target) => target.labels.instance).sort();
  };

  it('registers several hosts and Prometheus scrapes them; a second run changes nothing and does not reload', async () => {
    const { file } = await inventory(targets(2));
    const first = await run(['apply', file]);
    expect(first.code, JSON.stringify(first.report.registration)).toBe(0);
    const states = first.report.registration[0]!.result!.targets.filter((target) => target.instance.startsWith('reg-'));
    expect(states.map((target) => `${target.instance} ${target.job} ${target.health}`)).toEqual(['reg-1 fleet-node up', 'reg-1 fleet-alloy up', 'reg-2 fleet-node up', 'reg-2 fleet-alloy up']);
    expect(await upInstances(promA, 'fleet-node')).toEqual(['prom-a', 'reg-1', 'reg-2']);
    expect(await onHost(promA, 'grep -c "fleet managed scrape jobs" /etc/prometheus/prometheus.yml; grep -c "job_name: node" /etc/prometheus/prometheus.yml')).toBe('2\n1\n');

    const reloadedAt = await lastReload(promA);
    const second = await run(['apply', file]);
    expect(second.report.registration[0]!.status).toBe('ok');
    expect(second.report.registration[0]!.result!.reloaded).toBeUndefined();
    expect(await lastReload(promA)).toBe(reloadedAt);
  });

  it('apply --no-register installs the host and leaves Prometheus alone', async () => {
    const { file } = await inventory(targets(2));
    await applyOrFail(['apply', file]);
    const before = await fileSdHash(promA);
    const reloadedAt = await lastReload(promA);
    const { file: grown } = await inventory(targets(3));
    const result = await run(['apply', grown, '--limit', 'reg-3', '--no-register']);
    expect(result.code, JSON.stringify(result.report)).toBe(0);
    expect(result.report.hosts.map((host) => `${host.host} ${host.status}`)).toEqual(['reg-3 changed']);
    expect(result.report.registration).toEqual([]);
    expect((await fetch(`http://${hosts[4]!.address}:9100/metrics`)).status).toBe(200);
    expect(await fileSdHash(promA)).toBe(before);
    expect(await lastReload(promA)).toBe(reloadedAt);
  });

  it('register --check --diff shows what would change and the targets, and changes nothing', async () => {
    const { file } = await inventory(targets(2));
    await applyOrFail(['apply', file]);
    const before = await fileSdHash(promA);
    const reloadedAt = await lastReload(promA);
    await writeFile(file, (await readFile(file, 'utf8')).replace('scrape_interval: 5s', 'scrape_interval: 7s'));
    const result = await runFleet(['register', file, '--check', '--diff'], mirror.env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('PROMETHEUS REGISTRATION (check: nothing was changed)');
    expect(result.stdout).toMatch(/^-\s+scrape_interval: 5s$/m);
    expect(result.stdout).toMatch(/^\+\s+scrape_interval: 7s$/m);
    expect(result.stdout).toMatch(/^\s+reg-1\s+fleet-node\s+\S+:9100\s+up/m);
    expect(await fileSdHash(promA)).toBe(before);
    expect(await lastReload(promA)).toBe(reloadedAt);
    // Without --diff the same check names the change but prints no diff lines.
    const plain = await runFleet(['register', file, '--check'], mirror.env);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).not.toMatch(/^[-+]\s+scrape_interval/m);
  });

  it('adding a host updates the targets without a reload; a --limit run keeps the others; removing deregisters', async () => {
    const { file } = await inventory(targets(2));
    await applyOrFail(['apply', file]);
    const reloadedAt = await lastReload(promA);
    const { file: grown } = await inventory(targets(3));
    const added = await run(['apply', grown, '--limit', 'reg-3']);
    expect(added.code, JSON.stringify(added.report.registration)).toBe(0);
    expect(added.report.hosts.map((host) => host.host)).toEqual(['reg-3']);
    expect(await upInstances(promA, 'fleet-alloy')).toEqual(['prom-a', 'reg-1', 'reg-2', 'reg-3']);
    expect(await lastReload(promA)).toBe(reloadedAt);

    const removed = await run(['remove', grown, 'reg-2']);
    expect(removed.code).toBe(0);
    expect(await onHost(promA, 'grep -c reg-2 /etc/prometheus/file_sd/fleet-node.json || true')).toBe('0\n');
    // Prometheus drops the target on its own (file_sd watch), again without a reload.
    await waitFor('Prometheus to drop reg-2', async () => !(await upInstances(promA, 'fleet-node')).includes('reg-2'), 30_000, 500);
    expect(await upInstances(promA, 'fleet-node')).toEqual(['prom-a', 'reg-1', 'reg-3']);
    expect(await lastReload(promA)).toBe(reloadedAt);

    // A host deleted from the inventory leaves the files on the next run, whatever the --limit.
    const { file: shrunk } = await inventory(targets(1));
    await applyOrFail(['apply', shrunk, '--limit', 'reg-1']);
    expect(await onHost(promA, 'grep -o "reg-[0-9]" /etc/prometheus/file_sd/fleet-alloy.json')).toBe('reg-1\n');
  });

  it('Node Exporters behind basic auth are scraped with the credentials, kept in a file only Prometheus reads', async () => {
    const web = { basic_auth_user: 'prometheus', basic_auth_password_env: 'NE_PASSWORD' };
    const { file } = await inventory(targets(1), [hosts[promB]!], 60, { node_exporter: { version: '1.5.0', web } });
    const result = await run(['apply', file], { NE_PASSWORD: 'scrape-secret-42' });
    expect(result.code, JSON.stringify(result.report.registration)).toBe(0);
    expect(JSON.stringify(result.report)).not.toContain('scrape-secret-42');
    expect(await upInstances(promB, 'fleet-node')).toEqual(['prom-b', 'reg-1']);
    expect(await onHost(promB, 'stat -c "%a %U:%G" /etc/prometheus/fleet-node.password; grep -A2 "basic_auth:" /etc/prometheus/prometheus.yml | tr -s " "')).toBe(
      '640 root:prometheus\n basic_auth:\n username: prometheus\n password_file: /etc/prometheus/fleet-node.password\n',
    );
    // Back to no auth: the secret leaves the server too.
    const { file: plain } = await inventory(targets(1), [hosts[promB]!]);
    expect((await run(['apply', plain])).code).toBe(0);
    expect(await onHost(promB, 'ls /etc/prometheus/fleet-node.password 2>/dev/null || echo gone')).toBe('gone\n');
  });

  it('reloads through POST /-/reload when Prometheus runs with the lifecycle API', async () => {
    await onHost(promB, [
      `sed -i 's/^ARGS=.*/ARGS="--web.enable-lifecycle"/' /etc/default/prometheus && systemctl restart prometheus`,
      'for i in $(seq 1 100); do curl -sf http://127.0.0.1:9090/-/ready >/dev/null && break; sleep 0.1; done',
    ].join(' && '));
    const { file } = await inventory(targets(1), [hosts[promB]!]);
    await writeFile(file, (await readFile(file, 'utf8')).replace('scrape_interval: 5s', 'scrape_interval: 6s'));
    const result = await run(['register', file]);
    expect(result.code, JSON.stringify(result.report.registration)).toBe(0);
    expect(result.report.registration[0]!.result!.reloaded).toBe('http');
    expect(await onHost(promB, 'grep -c "scrape_interval: 6s" /etc/prometheus/prometheus.yml')).toBe('2\n');
  });

  it('two Prometheus servers both get the targets', async () => {
    const { file } = await inventory(targets(1), [hosts[promA]!, hosts[promB]!]);
    const result = await run(['apply', file]);
    expect(result.code, JSON.stringify(result.report.registration)).toBe(0);
    expect(result.report.registration.map((server) => server.host)).toEqual(['prom-a', 'prom-b']);
    for (const index of [promA, promB]) expect(await upInstances(index, 'fleet-node')).toContain('reg-1');
  });

  it('a broken scrape config is refused by promtool and the old config keeps serving', async () => {
    const { file } = await inventory(targets(1), [hosts[promB]!]);
    // The operator already has a job of the same name as one of fleet's: the merged file is invalid.
    await onHost(promB, "sed -i '/# BEGIN fleet/,/# END fleet/d' /etc/prometheus/prometheus.yml && printf '  - job_name: fleet-alloy\\n    static_configs:\\n      - targets: [\"localhost:12345\"]\\n' >> /etc/prometheus/prometheus.yml && systemctl reload prometheus");
    const live = await onHost(promB, 'sha256sum /etc/prometheus/prometheus.yml');
    const result = await run(['register', file]);
    expect(result.code).toBe(2);
    const message = result.report.registration[0]!.error!.message;
    expect(message).toContain('/etc/prometheus/prometheus.yml: the new content was refused by: promtool check config (new file); the old file stays in place');
    expect(message).toContain('found multiple scrape configs with job name "fleet-alloy"');
    expect(await onHost(promB, 'sha256sum /etc/prometheus/prometheus.yml; ls -A /etc/prometheus | grep -c "\\.fleet-" || true')).toBe(`${live}0\n`);
    expect(await onHost(promB, 'curl -s -o /dev/null -w "%{http_code}" http://127.0.0.1:9090/-/ready')).toBe('200');
    await onHost(promB, "sed -i '/job_name: fleet-alloy/,$d' /etc/prometheus/prometheus.yml && systemctl reload prometheus");
  });

  it('a target Prometheus cannot reach is reported with Prometheus\' own error and the address it tried', async () => {
    const { file } = await inventory(targets(1), [hosts[promA]!], 12);
    // The exporter runs, but the host's firewall lets only the controller in, not Prometheus.
    await enableNftables(hosts[2]!);
    const result = await run(['apply', file, '--limit', 'reg-1', '-e', 'node_exporter.allow_from=10.213.0.1', '-e', 'alloy.allow_from=10.213.0.1']);
    await onHost(2, 'nft flush ruleset');
    // The host itself converged (its firewall rules changed); only the registration failed.
    expect(result.report.hosts.map((host) => `${host.host} ${host.status}`)).toEqual(['reg-1 changed']);
    expect(result.code).toBe(2);
    const down = result.report.registration[0]!.result!.targets.find((target) => target.instance === 'reg-1' && target.job === 'fleet-node')!;
    expect(down.health).toBe('down');
    expect(down.scrapeUrl).toBe(`http://${hosts[2]!.address}:9100/metrics`);
    expect(down.lastError).toMatch(/context deadline exceeded|i\/o timeout/);
    expect(result.report.registration[0]!.error!.message).toContain('target(s) not up in Prometheus: reg-1 fleet-node (down');
  });

  // Last in this file: Prometheus keeps watching the folder mounted here.
  it('when Prometheus misses a change of the target files, fleet makes it read them', async () => {
    // Prometheus also re-reads file_sd files every 5 minutes on its own; restarted here, that timer cannot
    // fire inside fleet's 15 s window however long the tests above took (this file runs about 6 minutes).
    await onHost(promA, 'systemctl restart prometheus && for i in $(seq 1 300); do curl -sf http://127.0.0.1:9090/-/ready >/dev/null && exit 0; sleep 0.1; done; exit 1');
    const { file } = await inventory(targets(1));
    await applyOrFail(['apply', file]);
    // A fresh mount over the folder: Prometheus' watch stays on the old one and sees no change.
    await onHost(promA, 'mount -t tmpfs tmpfs /etc/prometheus/file_sd');
    const { file: grown } = await inventory(targets(2));
    const result = await run(['apply', grown, '--limit', 'reg-2']);
    expect(result.code, JSON.stringify(result.report.registration)).toBe(0);
    expect(result.report.registration[0]!.result!.rereadTargets).toMatch(/^Prometheus had not read the target files 15 s after they changed \(.*reg-2 fleet-node.*\); fleet reloaded it$/);
    expect(await upInstances(promA, 'fleet-node')).toEqual(['prom-a', 'reg-1', 'reg-2']);
  });
});
