import type { ResolvedHost } from '../inventory/resolve.ts';

/** A scrape job fleet owns on every Prometheus server: one file_sd file each. */
export interface FleetJob {
  name: 'fleet-node' | 'fleet-alloy';
  file: string;
  port(host: ResolvedHost): number;
}

const portOf = (host: ResolvedHost, component: 'node_exporter' | 'alloy', fallback: number) => Number((host.vars[component] as { port?: number } | undefined)?.port ?? fallback);

export const FLEET_JOBS: FleetJob[] = [
  { name: 'fleet-node', file: 'fleet-node.json', port: (host) => portOf(host, 'node_exporter', 9100) },
  { name: 'fleet-alloy', file: 'fleet-alloy.json', port: (host) => portOf(host, 'alloy', 12345) },
];

export interface FileSdGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** Hosts that want to be scraped: every host unless its vars say `prometheus_register: false`. */
export function registeredHosts(hosts: readonly ResolvedHost[]): ResolvedHost[] {
  return hosts.filter((host) => host.vars.prometheus_register !== false);
}

export function targetAddress(host: ResolvedHost, port: number): string {
  return `${host.address.includes(':') ? `[${host.address}]` : host.address}:${port}`;
}

/**
 * `host:port` as Prometheus shows it in a target's scrape URL: the URL parser lower-cases names,
 * compresses IPv6 and drops the scheme's default port (80 for http, 443 for https), so the inventory's
 * address goes through the same parser before the two are compared.
 */
export function sameFormAsScrapeUrl(address: string, scrapeUrl: string): { wanted: string; seen: string } {
  try {
    const url = new URL(scrapeUrl);
    return { wanted: new URL(`${url.protocol}//${address}`).host, seen: url.host };
  } catch {
    return { wanted: address, seen: '' };
  }
}

/**
 * The file_sd content of one job: a group per host, labelled with its name (instance), its groups
 * (`,a,b,` so a regex can match one) and its inventory labels. Sorted, so the same inventory always
 * gives the same bytes and an unchanged file is never rewritten.
 */
export function fileSdContent(hosts: readonly ResolvedHost[], job: FleetJob): string {
  const groups: FileSdGroup[] = [...hosts]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((host) => ({
      targets: [targetAddress(host, job.port(host))],
      labels: { ...host.labels, instance: host.name, groups: host.groups.length ? `,${host.groups.join(',')},` : '' },
    }));
  return `${JSON.stringify(groups, null, 2)}\n`;
}
