import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LabHost } from '../../src/lab/boot.ts';
import { enableLabPrometheus, runInLabHost } from '../../src/lab/lab.ts';
import { LAB_ALLOY_VERSIONS, LAB_NODE_EXPORTER_VERSION } from '../../src/lab/mirror.ts';
import { runFleet } from '../helpers/run-fleet.ts';
import { makeTestCertificates } from '../helpers/test-ca.ts';
import { labUnavailable, useLabHosts, writeLabInventory } from './lab-hosts.ts';
import { useLabMirror } from './mirror.ts';

interface Target {
  job: string;
  instance: string;
  health: string;
  lastError?: string;
  scrapeUrl?: string;
}
interface Report {
  hosts: { host: string; status: string; error?: { message: string } }[];
  registration: { host: string; status: string; error?: { message: string }; result?: { reloaded?: string; targets: Target[] } }[];
}

/**
 * What fleet writes, against the real Prometheus of Debian 12 (2.42) and Debian 13 (2.53): HTTPS
 * scrapes of Node Exporter, reloads confirmed by their timestamp, remote write only into a receiver.
 */
describe.skipIf(labUnavailable)('Node Exporter TLS, Prometheus reloads and remote write on Debian 12 and 13', () => {
  const hosts = useLabHosts([
    { name: 'up-prom12', index: 165 },
    { name: 'up-prom13', index: 166, suite: 'trixie' },
    { name: 'up-node12', index: 167 },
    { name: 'up-node13', index: 168, suite: 'trixie' },
  ]);
  const mirror = useLabMirror();
  beforeAll(async () => {
    if (labUnavailable) return;
    await Promise.all([enableLabPrometheus(hosts[0]!), enableLabPrometheus(hosts[1]!)]);
  });
  const servers = () => [hosts[0]!, hosts[1]!];
  const inventory = (vars: { node_exporter?: object; alloy?: object } = {}, scrapeInterval = '5s', members: LabHost[] = hosts, monitors: LabHost[] = servers()) =>
    writeLabInventory(members, '', {
      mirrorUrl: mirror.url,
      prometheusServers: monitors.map((host) => host.name),
      vars: { node_exporter: { version: LAB_NODE_EXPORTER_VERSION, ...vars.node_exporter }, alloy: { version: LAB_ALLOY_VERSIONS[0], ...vars.alloy } },
    }).then(async (written) => {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(written.file, (await readFile(written.file, 'utf8')).replace('  scrape_interval: 5s', `  scrape_interval: ${scrapeInterval}\n  wait_for_targets: 60`));
      return written;
    });
  const apply = async (file: string, env: Record<string, string> = {}) => {
    const result = await runFleet(['apply', file, '--json'], { ...mirror.env, ...env });
    return { code: result.code, report: JSON.parse(result.stdout) as Report, stderr: result.stderr };
  };
  const onHost = async (host: LabHost, command: string) => (await runInLabHost(host, command)).stdout;
  const activeTargets = async (server: LabHost) =>
    (JSON.parse(await onHost(server, 'curl -s http://127.0.0.1:9090/api/v1/targets?state=active')) as { data: { activeTargets: { labels: Record<string, string>; scrapeUrl: string; health: string }[] } }).data.activeTargets;
  const lastReload = async (server: LabHost) => Number(/^prometheus_config_last_reload_success_timestamp_seconds (\S+)$/m.exec(await onHost(server, 'curl -s http://127.0.0.1:9090/metrics'))?.[1]);
  const failures = (report: Report) => JSON.stringify([...report.hosts.map((host) => host.error), ...report.registration.map((server) => server.error)]);

  // Each test applies the site playbook to four hosts two or three times and waits for scrapes.
  const SLOW = 360_000;

  it('turning TLS on for Node Exporters that already use basic auth: they restart on HTTPS and Prometheus scrapes them up over https', async () => {
    // Debian 13's Prometheus (2.53) scraping a Debian 12 host, and itself; two hosts keep the test short.
    const [server, node] = [hosts[1]!, hosts[2]!];
    const members = [server, node];
    const env = { NE_PASSWORD: 'tls-test-secret' };
    const basicAuth = { basic_auth_user: 'prometheus', basic_auth_password_env: 'NE_PASSWORD' };
    const plain = await apply((await inventory({ node_exporter: { web: basicAuth } }, '5s', members, [server])).file, env);
    expect(plain.code, failures(plain.report)).toBe(0);

    // The operator's certificates: one CA, a server certificate naming every host's lab address.
    const certificates = makeTestCertificates(members.map((host) => host.address));
    const [cert, key] = await Promise.all([readFile(certificates.certFile), readFile(certificates.keyFile)]);
    await Promise.all(
      members.map((host) =>
        onHost(host, `echo ${cert.toString('base64')} | base64 -d > /etc/node_exporter/tls.crt && echo ${key.toString('base64')} | base64 -d > /etc/node_exporter/tls.key && chgrp node_exporter /etc/node_exporter/tls.key && chmod 0640 /etc/node_exporter/tls.key`),
      ),
    );
    const web = { ...basicAuth, tls_cert_file: '/etc/node_exporter/tls.crt', tls_key_file: '/etc/node_exporter/tls.key', scrape_ca_file: certificates.caFile };
    const withTls = await apply((await inventory({ node_exporter: { web } }, '5s', members, [server])).file, env);
    expect(withTls.code, failures(withTls.report)).toBe(0);

    const nodes = (await activeTargets(server)).filter((target) => target.labels.job === 'fleet-node');
    expect(nodes.map((target) => `${target.labels.instance} ${new URL(target.scrapeUrl).protocol} ${target.health}`).sort()).toEqual(members.map((host) => `${host.name} https: up`).sort());
    expect(await onHost(server, `grep -A3 "job_name: fleet-node" /etc/prometheus/prometheus.yml | grep -c "scheme: https"; echo ${(await readFile(certificates.caFile)).toString('base64')} | base64 -d | cmp /etc/prometheus/fleet-node-ca.crt - && echo same-ca`)).toBe('1\nsame-ca\n');
    // From outside: HTTPS with the CA and the password works; plain HTTP no longer does.
    const https = await runInLabHost(server, `echo ${(await readFile(certificates.caFile)).toString('base64')} | base64 -d > /tmp/ca.crt && curl -s -o /dev/null -w '%{http_code}' --cacert /tmp/ca.crt -u prometheus:tls-test-secret https://${node.address}:9100/metrics`);
    expect(https.stdout).toBe('200');
    expect((await runInLabHost(server, `curl -s -o /dev/null -w '%{http_code}' http://${node.address}:9100/metrics`)).stdout).not.toBe('200');
  }, SLOW);

  it('a SIGHUP reload is confirmed by a newer success timestamp, and a lost SIGHUP is reported, not taken for success', async () => {
    const { file } = await inventory({}, '5s');
    const first = await apply(file);
    expect(first.code, failures(first.report)).toBe(0);

    // A changed scrape interval changes prometheus.yml: Debian's Prometheus has no lifecycle API, so SIGHUP.
    const before = await Promise.all(servers().map(lastReload));
    const changed = await apply((await inventory({}, '6s')).file);
    expect(changed.code, failures(changed.report)).toBe(0);
    expect(changed.report.registration.map((server) => server.result?.reloaded)).toEqual(['systemd', 'systemd']);
    const after = await Promise.all(servers().map(lastReload));
    after.forEach((at, index) => expect(at).toBeGreaterThan(before[index]!));

    // A reload that never reaches Prometheus: ..._successful still says 1 from the last one.
    const lost = servers()[1]!;
    await onHost(lost, 'mkdir -p /etc/systemd/system/prometheus.service.d && printf "[Service]\\nExecReload=\\nExecReload=/bin/true\\n" > /etc/systemd/system/prometheus.service.d/lost-sighup.conf && systemctl daemon-reload');
    const unconfirmed = await apply((await inventory({}, '7s')).file);
    await onHost(lost, 'rm /etc/systemd/system/prometheus.service.d/lost-sighup.conf && systemctl daemon-reload && systemctl reload prometheus');
    expect(unconfirmed.code).not.toBe(0);
    const server = unconfirmed.report.registration.find((entry) => entry.host === lost.name)!;
    expect(server.status).toBe('failed');
    expect(server.error!.message).toMatch(/did not confirm the reload within \d+ s: prometheus_config_last_reload_success_timestamp_seconds stayed/);
    expect(unconfirmed.report.registration.find((entry) => entry.host !== lost.name)!.status).not.toBe('failed');
  }, SLOW);

  it('Alloy shipping metrics by remote write is refused until the first Prometheus accepts it, with the flag to add', async () => {
    // The two Prometheus hosts are enough: each one's Alloy sends to the first.
    const { file } = await inventory({ alloy: { host_metrics: true } }, '5s', servers());
    const refused = await apply(file);
    expect(refused.code).not.toBe(0);
    const first = refused.report.registration.find((entry) => entry.host === hosts[0]!.name)!;
    expect(first.error!.message).toMatch(/does not accept remote write .*Alloy on up-prom12, up-prom13 sends metrics there: start Prometheus with --web\.enable-remote-write-receiver/);
    expect(refused.report.registration.find((entry) => entry.host === hosts[1]!.name)!.error).toBeUndefined();

    await onHost(hosts[0]!, 'echo \'ARGS="--web.enable-remote-write-receiver"\' >> /etc/default/prometheus && systemctl restart prometheus && for i in $(seq 1 100); do curl -sf http://127.0.0.1:9090/-/ready >/dev/null && break; sleep 0.1; done');
    const accepted = await apply(file);
    expect(accepted.code, failures(accepted.report)).toBe(0);
    // And the samples arrived: fleet asked the receiver for each sender's host metrics (Alloy on Debian 12 and 13).
    const samples = (accepted.report.registration.find((entry) => entry.host === hosts[0]!.name)!.result as { samples?: { instance: string; job: string; state: string }[] }).samples;
    expect(samples?.map(({ instance, job, state }) => `${instance} ${job} ${state}`)).toEqual(['up-prom12 integrations/node_exporter arrived', 'up-prom13 integrations/node_exporter arrived']);
    // Remote write itself is accepted now (an empty write request is not a 404).
    expect(await onHost(hosts[1]!, `curl -s -o /dev/null -w '%{http_code}' -X POST http://${hosts[0]!.address}:9090/api/v1/write`)).not.toBe('404');
  }, SLOW);
});
