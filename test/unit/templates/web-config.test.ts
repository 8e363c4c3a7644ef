import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_VARS } from '../../../src/defaults.ts';
import { readTemplate } from '../../../src/templates/find.ts';
import { renderTemplate } from '../../../src/templates/render.ts';
import { makeTestCertificates } from '../../helpers/test-ca.ts';

const certificates = makeTestCertificates(['192.0.2.11']);
process.env.FLEET_TEST_NE_PASSWORD = 'not a real password';
const basicAuth = { basic_auth_user: 'prometheus', basic_auth_password_env: 'FLEET_TEST_NE_PASSWORD' };
const tls = { tls_cert_file: certificates.certFile, tls_key_file: certificates.keyFile };

describe('node_exporter web config', () => {
  it.each([
    ['basic auth', basicAuth],
    ['TLS', tls],
    ['TLS and basic auth', { ...tls, ...basicAuth }],
  ])('with %s passes promtool check web-config (the checker shipped with Prometheus)', async (name, web) => {
    const template = await readTemplate('node_exporter-web-config.yml.hbs', '/nonexistent');
    const rendered = renderTemplate(template.path, template.source, {
      host: { name: 'web1', address: '192.0.2.11', groups: [], labels: {} },
      vars: { ...BUILTIN_VARS, node_exporter: { ...BUILTIN_VARS.node_exporter, web: { ...BUILTIN_VARS.node_exporter.web, ...web } } },
      fleet: { prometheus_addresses: [], prometheus_remote_write_url: '', prometheus_scrape_interval: '' },
    });
    const file = join(certificates.dir, `web-config-${name.replaceAll(' ', '-')}.yml`);
    writeFileSync(file, rendered);
    const check = spawnSync('promtool', ['check', 'web-config', file], { encoding: 'utf8' });
    expect(check.stdout + check.stderr).toContain(`${file} SUCCESS`);
    expect(check.status).toBe(0);
  });
});
