import { describe, expect, it } from 'vitest';
import type { ResolvedHost } from '../../../src/inventory/resolve.ts';
import { FLEET_JOBS, fileSdContent, registeredHosts } from '../../../src/register/targets.ts';

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
