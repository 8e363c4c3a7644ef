import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_VARS } from '../../../src/defaults.ts';
import { ALLOY_STANDIN } from '../../../src/lab/mirror.ts';
import { readTemplate } from '../../../src/templates/find.ts';
import { renderTemplate } from '../../../src/templates/render.ts';
import { writeTempFiles } from '../../helpers/temp-files.ts';

/** `alloy validate` of the lab's stand-in: the grammar and component allow-list the lab hosts run. */
function validate(config: string, ...flags: string[]): { code: number; stderr: string } {
  const dir = writeTempFiles({ 'config.alloy': config });
  const result = spawnSync('perl', [ALLOY_STANDIN, 'validate', ...flags, join(dir, 'config.alloy')], { encoding: 'utf8' });
  return { code: result.status ?? -1, stderr: result.stderr.replaceAll(join(dir, 'config.alloy'), 'config.alloy') };
}

const settings = {
  loki: [{}, { loki_url: 'http://loki.example.com:3100/loki/api/v1/push' }],
  scrapes: [{}, { extra_scrapes: [{ name: 'myapp', address: '127.0.0.1:8080' }, { name: 'api_server', address: '127.0.0.1:9000', metrics_path: '/internal/metrics' }] }],
  hostMetrics: [{}, { host_metrics: true }],
  remoteWrite: [{}, { remote_write_url: 'https://mimir.example.com/api/v1/push' }],
};
const nodeAuth = [{}, { web: { ...BUILTIN_VARS.node_exporter.web, basic_auth_user: 'prometheus', basic_auth_password_env: 'FLEET_TEST_NE_PASSWORD' } }];
process.env.FLEET_TEST_NE_PASSWORD = 'not a real password';

const combinations = settings.loki.flatMap((loki) =>
  settings.scrapes.flatMap((scrapes) =>
    settings.hostMetrics.flatMap((hostMetrics) =>
      settings.remoteWrite.flatMap((remoteWrite) => nodeAuth.map((auth) => ({ alloy: { ...loki, ...scrapes, ...hostMetrics, ...remoteWrite }, node_exporter: auth }))),
    ),
  ),
);

describe('config.alloy against the Alloy grammar and the upstream components it uses', () => {
  it.each(combinations.map((vars) => [JSON.stringify(vars), vars] as const))('renders a config alloy validate accepts: %s', async (_, vars) => {
    const template = await readTemplate('config.alloy.hbs', '/nonexistent');
    const config = renderTemplate(template.path, template.source, {
      host: { name: 'web1', address: '192.0.2.11', groups: [], labels: {} },
      vars: { ...BUILTIN_VARS, alloy: { ...BUILTIN_VARS.alloy, ...vars.alloy }, node_exporter: { ...BUILTIN_VARS.node_exporter, ...vars.node_exporter } },
      fleet: { prometheus_addresses: ['192.0.2.5'], prometheus_remote_write_url: 'http://192.0.2.5:9090/api/v1/write', prometheus_scrape_interval: '' },
    });
    expect(validate(config)).toEqual({ code: 0, stderr: '' });
  });

  it("Alloy's scrapes take the inventory's prometheus.scrape_interval, and Alloy's own default without one", async () => {
    const template = await readTemplate('config.alloy.hbs', '/nonexistent');
    const render = (interval: string) =>
      renderTemplate(template.path, template.source, {
        host: { name: 'web1', address: '192.0.2.11', groups: [], labels: {} },
        vars: { ...BUILTIN_VARS, alloy: { ...BUILTIN_VARS.alloy, ...settings.scrapes[1], host_metrics: true } },
        fleet: { prometheus_addresses: ['192.0.2.5'], prometheus_remote_write_url: 'http://192.0.2.5:9090/api/v1/write', prometheus_scrape_interval: interval },
      });
    const every5s = render('5s');
    expect(every5s.match(/^prometheus\.scrape "\w+"|^  scrape_interval = .*$/gm)).toEqual(['prometheus.scrape "myapp"', '  scrape_interval = "5s"', 'prometheus.scrape "api_server"', '  scrape_interval = "5s"', 'prometheus.scrape "host"', '  scrape_interval = "5s"']);
    expect(validate(every5s)).toEqual({ code: 0, stderr: '' });
    expect(render('')).not.toMatch(/^  scrape_interval/m);
  });

  it('the stand-in refuses what real Alloy refuses: labels, duplicates, unknown arguments, empty URLs, references, escapes', () => {
    const refused = (config: string) => validate(config).stderr.trim();
    expect(refused('prometheus.scrape "api-server" {\n  targets    = []\n  forward_to = []\n}\n')).toBe('Error: config.alloy:1:19: expected block label to be a valid identifier, but got "api-server"');
    expect(refused('prometheus.exporter.unix "host" { }\nprometheus.exporter.unix "host" { }\n')).toBe('Error: config.alloy:2:1: block prometheus.exporter.unix.host already declared at config.alloy:1:1');
    expect(refused('prometheus.scrape "a" {\n  targets    = []\n  forward_to = []\n  job       = "x"\n}\n')).toBe('Error: config.alloy:4:3: unrecognized attribute name "job"');
    expect(refused('prometheus.remote_write "c" {\n  endpoint {\n    url = ""\n  }\n}\n')).toMatch(/^Error: config\.alloy:3:5: attribute "url" is empty/);
    expect(refused('prometheus.remote_write "c" {\n  endpoint { }\n}\n')).toBe('Error: config.alloy:2:3: missing required attribute "url"');
    expect(refused('prometheus.scrape "a" {\n  targets    = []\n  forward_to = [prometheus.remote_write.central.receiver]\n}\n')).toBe(
      'Error: config.alloy:3:17: component "prometheus.remote_write.central.receiver" does not exist or is out of scope',
    );
    expect(refused('logging {\n  level = "a\\/b"\n}\n')).toBe('Error: config.alloy:2:13: unknown escape sequence');
    expect(refused('logging {\n  level = "a\\qb"\n}\n')).toBe('Error: config.alloy:2:13: unknown escape sequence');
    expect(refused('prometheus.relabel "x" {\n  forward_to = []\n}\n')).toMatch(/^Error: config\.alloy:1:1: cannot find the definition of component name "prometheus\.relabel"/);
    expect(refused('loki.source.journal "j" {\n  forward_to = []\n  labels     = {\n    job = "a",\n    unit = "b"\n  }\n}\n')).toBe("Error: config.alloy:5:15: missing ',' in field list");
  });

  it('the stand-in reads // and /* */ inside strings as text and takes comments anywhere', () => {
    expect(validate('logging {\n  level  = "http://x//y" // a comment with "quotes"\n  format = "a /* b */" /* spans\n  lines */\n}\n')).toEqual({ code: 0, stderr: '' });
  });

  it('the stand-in takes the flags real alloy validate takes, one file, and refuses the rest', () => {
    const config = 'logging {\n  level = "info"\n}\n';
    expect(validate(config, '--stability.level=public-preview', '--feature.community-components.enabled').code).toBe(0);
    expect(validate(config, '--stability.level=beta').stderr).toMatch(/invalid argument "beta" for "--stability\.level" flag/);
    expect(validate(config, '--server.http.listen-addr=0.0.0.0:12345').stderr).toBe('Error: unknown flag: --server.http.listen-addr=0.0.0.0:12345\n');
    const dir = writeTempFiles({ 'a.alloy': config });
    writeFileSync(join(dir, 'b.alloy'), config);
    expect(spawnSync('perl', [ALLOY_STANDIN, 'validate', join(dir, 'a.alloy'), join(dir, 'b.alloy')], { encoding: 'utf8' }).stderr).toBe('Error: accepts 1 arg(s), received 2\n');
  });
});
