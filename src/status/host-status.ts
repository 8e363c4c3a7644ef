import { shellQuote } from '../connection/quote.ts';
import type { HostOutcome } from '../engine/events.ts';
import { isChange } from '../engine/host-plan.ts';
import type { ResolvedHost } from '../inventory/resolve.ts';
import { RECORD_FACT, parseRecord, recordFact, recordTextOf } from '../lifecycle/host-record.ts';
import type { ServerResult } from '../register/register.ts';
import type { FactRequest } from '../resources/types.ts';
import type { Verification } from '../resources/http-check.ts';
import { unitStateFact } from '../facts/unit-state.ts';
import { metricsProbeQuery } from '../templates/node-exporter.ts';
import type { ConvergeOutcome } from '../cli/converge.ts';

/** The exporters whose running version status reads from their own /metrics, with their build_info metric. */
const ENDPOINTS = [
  // Node Exporter's cheap query is the one its playbook check uses (metricsProbeQuery); should the host run
  // other collectors than the inventory says (a 400 for textfile), the full /metrics is the fallback.
  { component: 'node_exporter', metric: 'node_exporter_build_info', defaultPort: 9100, cheapQuery: (host: ResolvedHost) => metricsProbeQuery(host.vars.node_exporter as Parameters<typeof metricsProbeQuery>[0]) },
  { component: 'alloy', metric: 'alloy_build_info', defaultPort: 12345, cheapQuery: () => '' },
] as const;

export interface HostStatusRow {
  host: string;
  reachable: boolean;
  /** Running versions by component, from the endpoint; absent when it did not answer (or wants credentials). */
  versions: Record<string, string>;
  /** The active state of each service the playbooks run (as `systemctl is-active` says it). */
  services: Record<string, string>;
  endpoints: { answering: number; total: number };
  /** Each target of the host as each Prometheus server sees it. */
  targets: { server: string; job: string; health: string }[];
  /** Resources that differ from the playbooks (as fleet check counts them). */
  drift: number;
  lastApply?: string;
  error?: string;
}

const portOf = (host: ResolvedHost, component: string, fallback: number) => {
  const port = (host.vars[component] as { port?: unknown } | undefined)?.port;
  return Number(port) || fallback;
};

/**
 * Read-only commands status adds to the facts round trip that check already makes: no extra connection,
 * no extra round trip. A version is read from the /metrics answer of the playbook's own check of that
 * port where the check asks in the shared request (the same transfer answers both), else with a
 * request of its own (a check behind basic auth asks alone, later).
 */
export function statusFacts(host: ResolvedHost, services: readonly string[], checks: readonly Verification[] = []): FactRequest[] {
  return [
    recordFact(),
    ...services.map((service) => unitStateFact(`status-service:${service}`, `${service}.service`)),
    ...ENDPOINTS.map(({ component, metric, defaultPort, cheapQuery }): FactRequest => {
      const port = portOf(host, component, defaultPort);
      const probe = checks.find((check) => check.firstAttempt && new RegExp(`^http \\S+:${port}/metrics(\\?\\S*)? from host$`).test(check.id));
      if (probe) return { key: `status-version:${component}`, ...probe.firstAttempt!.source };
      const fetch = (scheme: string, query: string) => `curl -sk --max-time 3 ${shellQuote(`${scheme}://127.0.0.1:${port}/metrics${query}`)} 2>/dev/null`;
      const read = (query: string) => `{ ${fetch('http', query)} || ${fetch('https', query)}; } | grep -m1 ${shellQuote(`^${metric}{`)}`;
      const query = cheapQuery(host);
      return { key: `status-version:${component}`, command: `${query ? `${read(query)} || ` : ''}${read('')} || true` };
    }),
  ];
}

export function hostStatus(outcome: ConvergeOutcome, registration: readonly HostOutcome<ServerResult>[]): HostStatusRow {
  const extra = outcome.result?.extra ?? {};
  const changes = outcome.result?.changes ?? [];
  const versions: Record<string, string> = {};
  const services: Record<string, string> = {};
  for (const [key, value] of Object.entries(extra)) {
    if (key.startsWith('status-version:')) {
      // The build_info line (a whole /metrics answer holds go_info{version=...} too); only the version
      // label (not goversion), without the "v" Alloy puts in front.
      const metric = ENDPOINTS.find(({ component }) => `status-version:${component}` === key)?.metric;
      const line = value.split('\n').find((candidate) => candidate.startsWith(`${metric}{`)) ?? '';
      const version = /[{,]version="v?([^"]+)"/.exec(line)?.[1];
      if (version) versions[key.slice('status-version:'.length)] = version;
    } else if (key.startsWith('status-service:')) services[key.slice('status-service:'.length)] = value.trim().split('|')[1] || 'unknown';
  }
  const checks = changes.filter((change) => change.resource.startsWith('http ') && change.action !== 'skip');
  return {
    host: outcome.host,
    reachable: outcome.status !== 'unreachable',
    versions,
    services,
    endpoints: { answering: checks.filter((change) => !isChange(change)).length, total: checks.length },
    targets: registration.flatMap((server) => (server.result?.targets ?? []).filter((target) => target.instance === outcome.host).map((target) => ({ server: server.host, job: target.job, health: target.health }))),
    drift: changes.filter(isChange).length,
    lastApply: parseRecord(recordTextOf(extra[RECORD_FACT])).lastApply,
    error: outcome.error ? `${outcome.error.step}: ${outcome.error.message.split('\n')[0]}` : undefined,
  };
}
