import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.ts';
import type { ResolvedHost } from '../inventory/resolve.ts';

/** How Prometheus scrapes Node Exporters that serve HTTPS: trusting a CA, or (asked for by name) anything. */
export interface ScrapeTls {
  /** The CA certificate (PEM) Prometheus checks the exporters' certificates against. */
  caPem?: string;
  caFile?: string;
  insecureSkipVerify: boolean;
}

interface WebSettings {
  tls_cert_file?: string;
  scrape_ca_file?: string;
  scrape_insecure_skip_verify?: boolean | string;
}

/**
 * One scrape job serves every host, so TLS is on for all registered hosts or for none (set it in
 * defaults:). With TLS on, Prometheus needs `node_exporter.web.scrape_ca_file` (a file on the
 * controller, copied to each Prometheus server), or `scrape_insecure_skip_verify: true`.
 */
export function nodeExporterScrapeTls(hosts: readonly ResolvedHost[]): ScrapeTls | undefined {
  const settings = hosts.map((host) => ((host.vars.node_exporter as { web?: WebSettings } | undefined)?.web ?? {}) as WebSettings);
  const key = (web: WebSettings) => `${Boolean(web.tls_cert_file)}\0${web.scrape_ca_file ?? ''}\0${String(web.scrape_insecure_skip_verify ?? false)}`;
  if (new Set(settings.map(key)).size > 1) {
    throw new UsageError('the hosts differ in node_exporter.web.tls_cert_file (on or off), scrape_ca_file or scrape_insecure_skip_verify; Prometheus scrapes them with one job, so set these once in defaults:');
  }
  const [web] = settings;
  if (!web?.tls_cert_file) return undefined;
  const insecureSkipVerify = web.scrape_insecure_skip_verify === true || web.scrape_insecure_skip_verify === 'true';
  if (web.scrape_ca_file) {
    let caPem: string;
    try {
      caPem = readFileSync(web.scrape_ca_file, 'utf8');
    } catch (error) {
      throw new UsageError(`node_exporter.web.scrape_ca_file: cannot read ${web.scrape_ca_file} on this machine (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); give the CA certificate that signed the Node Exporters' certificates`);
    }
    if (!caPem.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`node_exporter.web.scrape_ca_file: ${web.scrape_ca_file} holds no PEM certificate`);
    return { caPem, caFile: web.scrape_ca_file, insecureSkipVerify };
  }
  if (!insecureSkipVerify) {
    throw new UsageError('node_exporter.web.tls_cert_file is set, so Prometheus must scrape over HTTPS: set node_exporter.web.scrape_ca_file to the CA certificate that signed the exporters\' certificates (or, to skip verification, scrape_insecure_skip_verify: true)');
  }
  return { insecureSkipVerify };
}
