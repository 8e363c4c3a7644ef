import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILTIN_VARS } from '../../../src/defaults.ts';
import { goArch } from '../../../src/facts/host-facts.ts';
import { readTemplate } from '../../../src/templates/find.ts';
import { renderTemplate } from '../../../src/templates/render.ts';

const fleet = { prometheus_addresses: ['192.0.2.5'], prometheus_remote_write_url: 'http://192.0.2.5:9090/api/v1/write', prometheus_scrape_interval: '' };
const render = async (name: string, vars: { node_exporter?: object; alloy?: object } = {}, fleetContext: object = fleet) => {
  const template = await readTemplate(name, '/nonexistent');
  const merged = {
    ...BUILTIN_VARS,
    node_exporter: { ...BUILTIN_VARS.node_exporter, ...vars.node_exporter },
    alloy: { ...BUILTIN_VARS.alloy, ...vars.alloy },
  };
  return renderTemplate(template.path, template.source, { host: { name: 'web1', address: '192.0.2.11', groups: [], labels: {} }, vars: merged, fleet: fleetContext });
};
const basicAuth = { basic_auth_user: 'prometheus', basic_auth_password_env: 'FLEET_TEST_NE_PASSWORD' };
const tls = { tls_cert_file: '/etc/node_exporter/tls.crt', tls_key_file: '/etc/node_exporter/tls.key' };
process.env.FLEET_TEST_NE_PASSWORD = 'not a real password';

// The deb package's unit of grafana/alloy v1.18.1 (packaging/deb/alloy.service), [Service] section.
const UPSTREAM_ALLOY_SERVICE = [
  'Restart=always',
  'User=alloy',
  'Environment=HOSTNAME=%H',
  'EnvironmentFile=/etc/default/alloy',
  'WorkingDirectory=/var/lib/alloy',
  'ExecReload=/usr/bin/env kill -HUP $MAINPID',
  'TimeoutStopSec=20s',
];

describe('what fleet writes matches upstream Node Exporter, Alloy and Prometheus', () => {
  it('turning TLS on or off changes the Node Exporter unit (so it restarts); a change of users does not', async () => {
    const withAuth = await render('node_exporter.service.hbs', { node_exporter: { web: { ...BUILTIN_VARS.node_exporter.web, ...basicAuth } } });
    const withAuthAndTls = await render('node_exporter.service.hbs', { node_exporter: { web: { ...BUILTIN_VARS.node_exporter.web, ...basicAuth, ...tls } } });
    const otherUser = await render('node_exporter.service.hbs', { node_exporter: { web: { ...BUILTIN_VARS.node_exporter.web, ...basicAuth, basic_auth_user: 'scraper' } } });
    expect(withAuthAndTls).not.toBe(withAuth);
    expect(withAuthAndTls).toMatch(/^# Serves: HTTPS$/m);
    expect(otherUser).toBe(withAuth);
  });

  it('extra scrape names that real Alloy refuses as labels are stopped before anything connects', async () => {
    const scrapes = (...names: string[]) => ({ alloy: { extra_scrapes: names.map((name) => ({ name, address: '127.0.0.1:8080' })) } });
    await expect(render('config.alloy.hbs', scrapes('api-server'))).rejects.toThrow(/alloy\.extra_scrapes\.0\.name: "api-server" becomes an Alloy component label.*use "api_server"/);
    await expect(render('config.alloy.hbs', scrapes('9lives'))).rejects.toThrow(/use "_9lives"/);
    await expect(render('config.alloy.hbs', scrapes('api', 'api'))).rejects.toThrow(/alloy\.extra_scrapes\.1\.name: "api" is used twice/);
    await expect(render('config.alloy.hbs', { alloy: { host_metrics: true, extra_scrapes: [{ name: 'host', address: '127.0.0.1:8080' }] } })).rejects.toThrow(
      /"host" is used twice \(alloy\.host_metrics declares prometheus\.scrape "host"\)/,
    );
    expect(await render('config.alloy.hbs', scrapes('api_server', 'host'))).toContain('prometheus.scrape "host" {');
  });

  it('never renders an empty remote-write URL', async () => {
    const noServer = { prometheus_addresses: [], prometheus_remote_write_url: '', prometheus_scrape_interval: '' };
    await expect(render('config.alloy.hbs', { alloy: { host_metrics: true } }, noServer)).rejects.toThrow(/set alloy\.remote_write_url, or name a Prometheus server/);
    expect(await render('config.alloy.hbs', { alloy: { host_metrics: true, remote_write_url: 'https://mimir.example.com/api/v1/push' } }, noServer)).toContain('url = "https://mimir.example.com/api/v1/push"');
    expect(await render('config.alloy.hbs', {}, noServer)).not.toContain('url = ""');
  });

  it('a storage path outside /var/lib/alloy is writable under ProtectSystem=strict', async () => {
    const unit = await render('alloy.service.hbs', { alloy: { storage_path: '/srv/alloy-data' } });
    expect(unit).toMatch(/^ProtectSystem=strict$/m);
    expect(unit).toMatch(/^ReadWritePaths=.*(^|\s)\/srv\/alloy-data(\s|$)/m);
    expect(unit).toContain('--storage.path=/srv/alloy-data $CONFIG_FILE');
  });

  it('alloy.service keeps every directive of the upstream unit and adds none that changes how it stops', async () => {
    const unit = await render('alloy.service.hbs');
    for (const line of UPSTREAM_ALLOY_SERVICE) expect(unit.split('\n')).toContain(line);
    expect(unit).not.toMatch(/^(SendSIGKILL|KillMode|KillSignal|FinalKillSignal)=/m);
  });

  it('journal lines reach Loki with unit, hostname and priority labels', async () => {
    const config = await render('config.alloy.hbs', { alloy: { loki_url: 'http://loki:3100/loki/api/v1/push' } });
    expect(config).toContain('relabel_rules = loki.relabel.journal.rules');
    for (const [source, target] of [['__journal__systemd_unit', 'unit'], ['__journal__hostname', 'hostname'], ['__journal_priority_keyword', 'priority']]) {
      expect(config).toMatch(new RegExp(`source_labels = \\["${source}"\\]\\n\\s+target_label  = "${target}"`));
    }
  });

  it('IPv6 listen addresses get brackets, for Go flags and for the local checks', async () => {
    expect(await render('node_exporter.service.hbs', { node_exporter: { listen_address: '::' } })).toContain('--web.listen-address=[::]:9100 \\');
    expect(await render('alloy.env.hbs', { alloy: { listen_address: '::' } })).toContain('--server.http.listen-addr=[::]:12345 ');
    expect(await render('alloy.env.hbs', { alloy: { listen_address: 'fd00::5' } })).toContain('--server.http.listen-addr=[fd00::5]:12345 ');
    expect(renderTemplate('t', 'http://{{local_address a}}:1/ http://{{local_address b}}:1/', { a: 'fd00::5', b: '::' })).toBe('http://[fd00::5]:1/ http://127.0.0.1:1/');
  });

  it('the extra args that change how Alloy reads its config reach `alloy validate` too, and no others', () => {
    const playbook = readFileSync(new URL('../../../playbooks/alloy.yaml', import.meta.url), 'utf8');
    const validate = /validate: "(.*)"/.exec(playbook)![1]!;
    const extra_args = ['--feature.community-components.enabled', '--server.http.memory-addr=alloy.internal:12345', "--config.extra-args=-a 'b'"];
    expect(renderTemplate('alloy.yaml', validate, { vars: { alloy: { ...BUILTIN_VARS.alloy, extra_args } } })).toBe(
      "/usr/local/bin/alloy validate --stability.level=generally-available --feature.community-components.enabled '--config.extra-args=-a '\\''b'\\''' %s",
    );
  });

  it('uname -m maps to the architecture names of the releases (armv8l is a 32-bit userland: armv7)', () => {
    expect(Object.fromEntries(['x86_64', 'aarch64', 'armv8l', 'armv7l', 'armv6l', 'armv5tel', 'i686', 'riscv64', 'ppc64le', 's390x'].map((machine) => [machine, goArch(machine)]))).toEqual({
      x86_64: 'amd64', aarch64: 'arm64', armv8l: 'armv7', armv7l: 'armv7', armv6l: 'armv6', armv5tel: 'armv5', i686: '386', riscv64: 'riscv64', ppc64le: 'ppc64le', s390x: 's390x',
    });
  });
});
