import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { BUILTIN_VARS } from '../../../src/defaults.ts';
import { readTemplate } from '../../../src/templates/find.ts';
import { keepMatchingHashes } from '../../../src/templates/bcrypt-hashes.ts';
import { freshBcrypt } from '../../../src/templates/helpers.ts';
import { renderTemplate } from '../../../src/templates/render.ts';

const context = (vars: Record<string, unknown> = {}) => ({
  host: { name: 'web1', address: '192.0.2.11', groups: ['web'], labels: {} },
  vars: { ...BUILTIN_VARS, ...vars },
  fleet: { prometheus_addresses: ['192.0.2.5'], prometheus_remote_write_url: 'http://192.0.2.5:9090/api/v1/write', prometheus_scrape_interval: '' },
});
const render = async (name: string, vars?: Record<string, unknown>) => {
  const template = await readTemplate(name, '/nonexistent');
  return renderTemplate(template.path, template.source, context(vars));
};

describe('shipped templates', () => {
  it('node_exporter.service carries the listen address, collectors and hardening', async () => {
    const unit = await render('node_exporter.service.hbs', { node_exporter: { ...BUILTIN_VARS.node_exporter, collectors_disabled: ['wifi'], extra_flags: ['--web.disable-exporter-metrics'] } });
    expect(unit).toContain('--web.listen-address=0.0.0.0:9100 \\\n');
    expect(unit).toContain('--collector.systemd \\\n');
    expect(unit).toContain('--no-collector.wifi \\\n');
    expect(unit).toContain('--web.disable-exporter-metrics \\\n');
    expect(unit).not.toContain('--web.config.file');
    expect(unit).toMatch(/^ProtectSystem=strict$/m);
    expect(unit).toMatch(/^ProtectHome=read-only$/m);
  });

  it('/etc/default/alloy makes Alloy listen beyond loopback, as the package layout expects', async () => {
    expect(await render('alloy.env.hbs')).toContain('CONFIG_FILE="/etc/alloy/config.alloy"\n');
    expect(await render('alloy.env.hbs')).toContain('CUSTOM_ARGS="--server.http.listen-addr=0.0.0.0:12345 --stability.level=generally-available"\n');
  });

  it('config.alloy ships the journal only when a Loki URL is given, and never host metrics twice by default', async () => {
    const plain = await render('config.alloy.hbs');
    expect(plain).not.toContain('loki.write');
    expect(plain).not.toContain('prometheus.exporter.unix');
    const withLoki = await render('config.alloy.hbs', { alloy: { ...BUILTIN_VARS.alloy, loki_url: 'http://loki:3100/loki/api/v1/push' } });
    expect(withLoki).toContain('url = "http://loki:3100/loki/api/v1/push"');
    expect(withLoki).toContain('instance = "web1"');
  });

  it('extra scrapes are remote-written to the central Prometheus unless another URL is set', async () => {
    const withScrape = await render('config.alloy.hbs', { alloy: { ...BUILTIN_VARS.alloy, extra_scrapes: [{ name: 'myapp', address: '127.0.0.1:8080' }] } });
    expect(withScrape).toContain('url = "http://192.0.2.5:9090/api/v1/write"');
    expect(withScrape).toContain('prometheus.scrape "myapp" {');
    expect(withScrape).toContain('targets    = [{ "__address__" = "127.0.0.1:8080", "instance" = "web1" }]');
    const elsewhere = await render('config.alloy.hbs', { alloy: { ...BUILTIN_VARS.alloy, host_metrics: true, remote_write_url: 'https://mimir.example.com/api/v1/push' } });
    expect(elsewhere).toContain('url = "https://mimir.example.com/api/v1/push"');
    expect(elsewhere).toContain('prometheus.exporter.unix "host" { }');
  });

  it('the web config password hash has a random salt and verifies', () => {
    const first = freshBcrypt('s3cret');
    expect(freshBcrypt('s3cret')).not.toBe(first);
    expect(bcrypt.compareSync('s3cret', first)).toBe(true);
  });

  it('keeps the host’s existing hash while the password matches it, and only then', () => {
    const onHost = `basic_auth_users:\n  "prometheus": "${bcrypt.hashSync('s3cret', 4)}"\n`;
    const wanted = (password: string) => `basic_auth_users:\n  "prometheus": "${freshBcrypt(password)}"\n`;
    expect(keepMatchingHashes(wanted('s3cret'), onHost)).toBe(onHost);
    const changed = wanted('new password');
    expect(keepMatchingHashes(changed, onHost)).toBe(changed);
    // Another user's line with a matching hash is not borrowed.
    expect(keepMatchingHashes(wanted('s3cret').replace('prometheus', 'other'), onHost)).not.toContain(onHost.split('"')[3]);
  });
});
