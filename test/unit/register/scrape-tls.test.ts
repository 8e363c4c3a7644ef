import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ResolvedHost } from '../../../src/inventory/resolve.ts';
import { ensureFleetJobs } from '../../../src/register/scrape-config.ts';
import { nodeExporterScrapeTls } from '../../../src/register/scrape-tls.ts';
import { FLEET_JOBS } from '../../../src/register/targets.ts';
import { writeTempFiles } from '../../helpers/temp-files.ts';

const host = (name: string, web: Record<string, unknown>) => ({ name, address: '192.0.2.1', groups: [], labels: {}, vars: { node_exporter: { web } } }) as unknown as ResolvedHost;
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('Prometheus scrapes Node Exporters that serve HTTPS', () => {
  it('the fleet-node job gets scheme https and the CA file; fleet-alloy stays plain', () => {
    const edited = ensureFleetJobs('scrape_configs:\n', FLEET_JOBS, '/sd', undefined, {
      'fleet-node': { scheme: 'https', tls_config: { ca_file: '/etc/prometheus/fleet-node-ca.crt' } },
    });
    const [node, alloy] = (parse(edited) as { scrape_configs: Record<string, unknown>[] }).scrape_configs;
    expect(node).toMatchObject({ job_name: 'fleet-node', scheme: 'https', tls_config: { ca_file: '/etc/prometheus/fleet-node-ca.crt' } });
    expect(alloy).not.toHaveProperty('scheme');
  });

  it('reads the CA from the controller; without one, only an insecure flag set by name will do', () => {
    const dir = writeTempFiles({ 'ca.crt': PEM });
    const tls = { tls_cert_file: '/etc/node_exporter/tls.crt', tls_key_file: '/etc/node_exporter/tls.key' };
    expect(nodeExporterScrapeTls([host('a', {}), host('b', {})])).toBeUndefined();
    expect(nodeExporterScrapeTls([host('a', { ...tls, scrape_ca_file: `${dir}/ca.crt` })])).toEqual({ caPem: PEM, caFile: `${dir}/ca.crt`, insecureSkipVerify: false });
    expect(() => nodeExporterScrapeTls([host('a', tls)])).toThrow(/must scrape over HTTPS: set node_exporter\.web\.scrape_ca_file .*scrape_insecure_skip_verify: true/);
    expect(nodeExporterScrapeTls([host('a', { ...tls, scrape_insecure_skip_verify: true })])).toEqual({ insecureSkipVerify: true });
    expect(() => nodeExporterScrapeTls([host('a', { ...tls, scrape_ca_file: `${dir}/missing.crt` })])).toThrow(/cannot read .*missing\.crt on this machine \(ENOENT\)/);
  });

  it('refuses hosts that disagree: one job scrapes them all', () => {
    const dir = writeTempFiles({ 'ca.crt': PEM });
    expect(() => nodeExporterScrapeTls([host('a', { tls_cert_file: '/c', scrape_ca_file: `${dir}/ca.crt` }), host('b', {})])).toThrow(/the hosts differ in node_exporter\.web\.tls_cert_file/);
  });
});
