import { describe, expect, it } from 'vitest';
import type { ResolvedHost } from '../../../src/inventory/resolve.ts';
import { FLEET_JOBS, fileSdContent, registeredHosts } from '../../../src/register/targets.ts';
import { sameFormAsScrapeUrl } from '../../../src/register/targets.ts';

const host = (name: string, address: string, extra: Partial<ResolvedHost> = {}) => ({ name, address, groups: [], labels: {}, vars: {}, ...extra }) as unknown as ResolvedHost;

describe('file_sd content', () => {
  it('lists one group per host, sorted, with instance, groups and inventory labels, and the configured port', () => {
    const hosts = [
      host('web2', '192.0.2.12', { groups: ['web', 'production'], labels: { env: 'prod' }, vars: { node_exporter: { port: 9200 } } }),
      host('db1', '2001:db8::1'),
    ];
    expect(JSON.parse(fileSdContent(hosts, FLEET_JOBS[0]!))).toEqual([
      { targets: ['[2001:db8::1]:9100'], labels: { instance: 'db1', groups: '' } },
      { targets: ['192.0.2.12:9200'], labels: { env: 'prod', instance: 'web2', groups: ',web,production,' } },
    ]);
  });

  it('is byte-for-byte the same for the same inventory, whatever the order', () => {
    const a = host('a', '192.0.2.1');
    const b = host('b', '192.0.2.2');
    expect(fileSdContent([a, b], FLEET_JOBS[1]!)).toBe(fileSdContent([b, a], FLEET_JOBS[1]!));
  });

  it('leaves out hosts that opt out with prometheus_register: false', () => {
    expect(registeredHosts([host('a', '192.0.2.1'), host('b', '192.0.2.2', { vars: { prometheus_register: false } })]).map((h) => h.name)).toEqual(['a']);
  });
});

describe('the inventory address compared with the scrape URL Prometheus shows', () => {
  it.each([
    ['Web1.Example.COM:9100', 'http://web1.example.com:9100/metrics'],
    ['web1.example.com:80', 'http://web1.example.com/metrics'],
    ['web1.example.com:443', 'https://web1.example.com/metrics'],
    ['[2001:DB8:0::1]:9100', 'http://[2001:db8::1]:9100/metrics'],
  ])('%s is the target at %s', (address, scrapeUrl) => {
    const { wanted, seen } = sameFormAsScrapeUrl(address, scrapeUrl);
    expect(wanted).toBe(seen);
  });

  it('still tells a different port or host apart', () => {
    const other = sameFormAsScrapeUrl('web1.example.com:9100', 'http://web1.example.com:9200/metrics');
    expect(other.wanted).not.toBe(other.seen);
    const host = sameFormAsScrapeUrl('web2:9100', 'http://web1:9100/metrics');
    expect(host.wanted).not.toBe(host.seen);
  });
});
