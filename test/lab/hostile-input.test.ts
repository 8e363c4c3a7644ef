import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection } from '../../src/connection/ssh.ts';
import { applyHostPlan, planHost } from '../../src/engine/host-plan.ts';
import { enableLabPrometheus, runInLabHost } from '../../src/lab/lab.ts';
import { LAB_ACCOUNTS, labKeyPath } from '../../src/lab/layout.ts';
import { LAB_NODE_EXPORTER_VERSION } from '../../src/lab/mirror.ts';
import { ensureFleetJobs } from '../../src/register/scrape-config.ts';
import { FLEET_JOBS } from '../../src/register/targets.ts';
import { editedFileResource } from '../../src/resources/edited-file.ts';
import { runFleet } from '../helpers/run-fleet.ts';
import { enableNftables, labUnavailable, useLabHosts, writeLabInventory } from './lab-hosts.ts';
import { useLabMirror } from './mirror.ts';

// A name only the controller's /etc/hosts knows (the lab has no DNS), removed again after the file.
const PROMETHEUS_NAME = 'fleet-trust-input-prometheus.lab.test';
const HOSTS_LINE = `10.213.0.1 ${PROMETHEUS_NAME} # fleet lab test ${process.pid}`;

describe.skipIf(labUnavailable)('hostile and careless input never reaches a root shell, a firewall or a config', () => {
  const hosts = useLabHosts([
    { name: 'ti-prom', index: 180 },
    { name: 'ti-a', index: 181 },
    { name: 'ti-b', index: 182 },
  ]);
  const mirror = useLabMirror();
  const onHost = async (index: number, command: string) => (await runInLabHost(hosts[index]!, command)).stdout;

  beforeAll(async () => {
    if (labUnavailable) return;
    await appendFile('/etc/hosts', `${HOSTS_LINE}\n`);
    await Promise.all([enableLabPrometheus(hosts[0]!), enableNftables(hosts[1]!)]);
  });
  afterAll(async () => {
    if (labUnavailable) return;
    const text = await readFile('/etc/hosts', 'utf8');
    await writeFile('/etc/hosts', text.split('\n').filter((line) => line !== HOSTS_LINE).join('\n'));
  });

  it('-e with shell text in a setting is refused before connecting: /root/pwned never appears', async () => {
    const { dir, file } = await writeLabInventory([hosts[1]!], '', { mirrorUrl: mirror.url });
    const run = await runFleet(['apply', file, '-e', 'alloy.stability_level=x; touch /root/pwned; #'], mirror.env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('host ti-a: vars.alloy.stability_level (set by -e): expected one of "generally-available", "public-preview", "experimental", found "x; touch /root/pwned; #"');
    expect(await onHost(1, 'ls /root/pwned 2>&1 || true')).toContain('No such file');
    // Refused before any connection: an accept-new run would have recorded the host key.
    expect(existsSync(join(dir, 'known_hosts'))).toBe(false);
  });

  it('a firewall source given by name is resolved on the controller, written as an address, and the plan says so', async () => {
    const { dir, file } = await writeLabInventory([hosts[1]!]);
    await mkdir(join(dir, 'playbooks'));
    await writeFile(join(dir, 'playbooks', 'open.yaml'), `tasks:\n  - firewall: { port: 9301, sources: [${PROMETHEUS_NAME}, 10.213.0.0/24, "10.213.0.1/32"] }\n`);
    const first = await runFleet(['apply', file, 'open']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`ti-a: create firewall 9301/tcp (nftables: closed -> open to 10.213.0.1, 10.213.0.0/24; resolved on the controller: ${PROMETHEUS_NAME} -> 10.213.0.1)`);
    expect(await onHost(1, 'nft list chain inet filter input | grep -c "fleet 9301/tcp"; grep "fleet 9301/tcp" /etc/nftables.conf')).toBe(
      '2\ninsert rule inet filter input ip saddr 10.213.0.1 tcp dport 9301 accept comment "fleet 9301/tcp"\ninsert rule inet filter input ip saddr 10.213.0.0/24 tcp dport 9301 accept comment "fleet 9301/tcp"\n',
    );
    // What a boot would load: the persisted file parses.
    expect(await onHost(1, 'nft -c -f /etc/nftables.conf && echo loadable')).toBe('loadable\n');
    const again = await runFleet(['apply', file, 'open']);
    expect(again.stdout).toMatch(/ti-a\s+ok\s+ok=1\s+changed=0/);
  });

  it('a source that is nft syntax is refused before connecting; the ruleset stays', async () => {
    const { dir, file } = await writeLabInventory([hosts[1]!]);
    await mkdir(join(dir, 'playbooks'));
    await writeFile(join(dir, 'playbooks', 'evil.yaml'), 'tasks:\n  - firewall: { port: 9302, sources: ["10.0.0.1 tcp dport 22 accept; flush ruleset"] }\n');
    const before = await onHost(1, 'nft list ruleset | md5sum');
    const run = await runFleet(['apply', file, 'evil']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('firewall source "10.0.0.1 tcp dport 22 accept; flush ruleset" is not an IP address, a CIDR (10.0.0.0/24) or a DNS name');
    expect(await onHost(1, 'nft list ruleset | md5sum')).toBe(before);
  });

  it('an nftables.conf that would not load at boot is not replaced', async () => {
    const { dir, file } = await writeLabInventory([hosts[1]!]);
    await mkdir(join(dir, 'playbooks'));
    await writeFile(join(dir, 'playbooks', 'open.yaml'), 'tasks:\n  - firewall: { port: 9303, sources: [10.213.0.1] }\n');
    await onHost(1, 'cp /etc/nftables.conf /root/nftables.good && echo "this is not nft syntax" >> /etc/nftables.conf && cp /etc/nftables.conf /root/nftables.broken');
    const run = await runFleet(['apply', file, 'open', '--json']);
    expect(run.code).not.toBe(0);
    expect(run.stdout).toContain("does not pass `nft -c -f`; the file was left as it was");
    expect(await onHost(1, 'cmp /etc/nftables.conf /root/nftables.broken && echo unchanged; ls /etc/.nftables.conf.fleet-* 2>/dev/null | wc -l')).toBe('unchanged\n0\n');
    await onHost(1, 'cp /root/nftables.good /etc/nftables.conf');
  });

  it('user: on an existing login account is refused unless forced; its shell stays', async () => {
    const { dir, file } = await writeLabInventory([hosts[1]!]);
    await mkdir(join(dir, 'playbooks'));
    await writeFile(join(dir, 'playbooks', 'user.yaml'), `tasks:\n  - user: { name: ${LAB_ACCOUNTS.deployUser} }\n`);
    const run = await runFleet(['apply', file, 'user']);
    expect(run.code).not.toBe(0);
    expect(run.stdout).toMatch(/"deploy" is an existing login account \(uid \d+\).*set force: true on the task's user:/);
    expect(await onHost(1, 'getent passwd deploy | cut -d: -f7')).toBe('/bin/bash\n');
    const check = await runFleet(['check', file, 'user']);
    expect(check.stdout).toContain('is an existing login account');
  });

  it('multibyte text larger than one SSH packet round-trips byte-exact through prometheus.yml', async () => {
    // About 300 kB of operator text, mostly multibyte characters, so packet boundaries fall inside them.
    const comment = Array.from({ length: 4000 }, (_, index) => `  # Zürich ${'🚀'.repeat(8 + (index % 5))}東京東京Ærø ${index}`).join('\n');
    const operator = `global:\n  scrape_interval: 15s\nscrape_configs:\n  - job_name: zürich\n${comment}\n    static_configs:\n      - targets: ['localhost:9100']\n        labels: { city: Zürich }\n`;
    await writeFile(join(mirror.root, 'prometheus.yml'), operator);
    await onHost(1, `mkdir -p /etc/prometheus && curl -sf ${mirror.url}/prometheus.yml -o /etc/prometheus/prometheus.yml`);
    const connection = await Connection.open({ host: hosts[1]!.address, port: 22, user: 'root', identityFiles: [labKeyPath()], connectTimeoutMs: 5000, hostKeyChecking: 'off', knownHostsFile: '/dev/null' });
    try {
      const resource = editedFileResource({ path: '/etc/prometheus/prometheus.yml', edit: (current) => ensureFleetJobs(current, FLEET_JOBS, '/etc/prometheus/file_sd') });
      const program = { resources: [{ resource }], checks: [] };
      const plan = await planHost(connection, program, { diff: false });
      await applyHostPlan(connection, program, plan, () => {});
    } finally {
      connection.close();
    }
    const written = await onHost(1, 'cat /etc/prometheus/prometheus.yml');
    expect(written).not.toContain('\uFFFD');
    expect(written).toBe(ensureFleetJobs(operator, FLEET_JOBS, '/etc/prometheus/file_sd'));
  });

  it('no secret reaches any output: stdout, stderr, --json, --diff, check, the metrics file', async () => {
    const secrets = { NE_PASSWORD: 'ne-basic-auth-7f3a9c', LAB_SUDO: LAB_ACCOUNTS.sudoPassword };
    const web = { basic_auth_user: 'prometheus', basic_auth_password_env: 'NE_PASSWORD' };
    const { dir, file } = await writeLabInventory([hosts[0]!, hosts[2]!], '', { mirrorUrl: mirror.url, prometheusServers: [hosts[0]!.name], vars: { node_exporter: { version: LAB_NODE_EXPORTER_VERSION, web } } });
    // ti-b is reached as a user whose sudo needs the password from LAB_SUDO.
    const text = (await readFile(file, 'utf8')).replace(
      `      ti-b:\n        address: ${hosts[2]!.address}\n`,
      `      ti-b:\n        address: ${hosts[2]!.address}\n        ssh: { user: ${LAB_ACCOUNTS.sudoPasswordUser} }\n        become: { password_env: LAB_SUDO }\n`,
    );
    await writeFile(file, text);
    const env = { ...mirror.env, ...secrets };
    const metrics = join(dir, 'fleet.prom');
    const applied = [await runFleet(['apply', file, '--diff'], env), await runFleet(['apply', file, '--json', '--diff'], env)];
    // Read-only runs, in parallel: a plan with a difference (-e alloy.port), registration, and checks.
    const readOnly = await Promise.all([
      runFleet(['apply', file, '--check', '--diff', '--json', '-e', 'alloy.port=12346'], env),
      runFleet(['register', file, '--check', '--diff', '--json'], env),
      runFleet(['check', file, '--diff', '--metrics-file', metrics, '-e', 'alloy.port=12346'], env),
      runFleet(['check', file, '--json', '-e', 'alloy.port=12346'], env),
      // Exactly what `fleet schedule` runs; its stdout and stderr are what the journal keeps.
      runFleet(['check', file, '--metrics-file', `${metrics}.scheduled`, '-e', 'alloy.port=12346'], env),
    ]);
    const runs = [...applied, ...readOnly];
    expect(runs[0]!.code, runs[0]!.stdout + runs[0]!.stderr).toBe(0);
    const outputs = [...runs.flatMap((run) => [run.stdout, run.stderr]), await readFile(metrics, 'utf8'), await readFile(`${metrics}.scheduled`, 'utf8')];
    for (const output of outputs) for (const secret of Object.values(secrets)) expect(output).not.toContain(secret);
    // The check without --diff names the difference in words only: no file contents.
    const words = JSON.parse(runs[5]!.stdout) as { drift: { resource: string; diff?: unknown }[] };
    expect(words.drift.length).toBeGreaterThan(0);
    expect(words.drift.every((item) => item.diff === undefined)).toBe(true);
    expect(runs[4]!.stdout).toContain('---');
    expect(runs[6]!.stdout).toContain('content differs');
    expect(runs[6]!.stdout).not.toContain('---');
    // The Prometheus side holds the password only in its root:prometheus file.
    expect(await onHost(0, 'cat /etc/prometheus/fleet-node.password')).toBe(secrets.NE_PASSWORD);
  }, 400_000);
});
