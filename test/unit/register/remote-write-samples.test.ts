import { describe, expect, it } from 'vitest';
import type { ResolvedHost } from '../../../src/inventory/resolve.ts';
import { expectedSeries, missingSamplesMessage, remoteWritesToFirstServer, samplesQuery, sampleStates } from '../../../src/register/remote-write-samples.ts';

const host = (name: string, alloy: object): ResolvedHost => ({ name, address: '192.0.2.1', groups: [], labels: {}, vars: { alloy } }) as unknown as ResolvedHost;

describe('remote-written samples fleet expects at the receiver', () => {
  it('a host ships up for each extra scrape (job = its name) and, with host_metrics, for integrations/node_exporter', () => {
    const hosts = [host('web1', { extra_scrapes: [{ name: 'myapp', address: '127.0.0.1:8080' }], host_metrics: true }), host('web2', { host_metrics: true }), host('db1', {})];
    expect(expectedSeries(hosts)).toEqual([
      { instance: 'web1', job: 'myapp' },
      { instance: 'web1', job: 'integrations/node_exporter' },
      { instance: 'web2', job: 'integrations/node_exporter' },
    ]);
    expect(hosts.map(remoteWritesToFirstServer)).toEqual([true, true, false]);
    expect(remoteWritesToFirstServer(host('web3', { host_metrics: true, remote_write_url: 'https://mimir.example.com/api/v1/push' }))).toBe(false);
  });

  it('the query matches the names exactly: regex characters and quotes in a name are escaped for PromQL', () => {
    expect(samplesQuery([{ instance: 'web1.example.com', job: 'myapp' }, { instance: 'a"b', job: 'integrations/node_exporter' }])).toBe(
      'max by (instance, job) (timestamp(up{instance=~"web1\\\\.example\\\\.com|a\\"b", job=~"myapp|integrations/node_exporter"}))',
    );
  });

  it('a changed host needs a sample newer than the wait start; an unchanged one any sample; none is missing', () => {
    const expected = [{ instance: 'web1', job: 'j' }, { instance: 'web2', job: 'j' }, { instance: 'web3', job: 'j' }, { instance: 'web4', job: 'j' }];
    const before = new Map([['web1\0j', 1000], ['web2\0j', 1000], ['web3\0j', 1000]]);
    const now = new Map([['web1\0j', 1000], ['web2\0j', 6000], ['web3\0j', 1000]]);
    const states = sampleStates(expected, now, before, new Set(['web1', 'web2', 'web4']));
    expect(states.map((state) => [state.instance, state.state])).toEqual([['web1', 'missing'], ['web2', 'arrived'], ['web3', 'arrived'], ['web4', 'missing']]);
    expect(states[0]).toEqual({ instance: 'web1', job: 'j', state: 'missing', lastSample: '1970-01-01T00:00:01.000Z', before: '1970-01-01T00:00:01.000Z' });
    const message = missingSamplesMessage([states[0]!, states[3]!], 'http://10.0.0.1:9090/api/v1/write', 'http://10.0.0.1:9090', expected, 90_000);
    expect(message).toBe(
      'no samples from Alloy on web1 (job j, nothing newer than 1970-01-01T00:00:01.000Z), web4 (job j) reached http://10.0.0.1:9090/api/v1/write within 90 s: ' +
        'fleet queried http://10.0.0.1:9090/api/v1/query with max by (instance, job) (timestamp(up{instance=~"web1|web2|web3|web4", job=~"j"})); see Alloy\'s log on the host (journalctl -u alloy)',
    );
  });
});
