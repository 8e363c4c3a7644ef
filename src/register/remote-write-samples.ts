import { setTimeout as sleep } from 'node:timers/promises';
import type { Connection } from '../connection/ssh.ts';
import type { ResolvedHost } from '../inventory/resolve.ts';
import { queryPrometheus } from './prometheus-api.ts';

/** The job templates/config.alloy.hbs gives host metrics from Alloy's unix exporter (as grafana/alloy-scenarios does). */
export const HOST_METRICS_JOB = 'integrations/node_exporter';

interface AlloyShipping {
  extra_scrapes?: { name?: unknown }[];
  host_metrics?: boolean;
  remote_write_url?: string;
}

const shippingOf = (host: ResolvedHost) => (host.vars.alloy ?? {}) as AlloyShipping;

/** Whether the host's Alloy remote-writes to the first Prometheus server: it ships something and names no URL of its own. */
export function remoteWritesToFirstServer(host: ResolvedHost): boolean {
  const alloy = shippingOf(host);
  return ((alloy.extra_scrapes?.length ?? 0) > 0 || alloy.host_metrics === true) && !alloy.remote_write_url;
}

/** A series config.alloy makes the host ship: `up` of one scrape job, with instance = the host's name. */
export interface ExpectedSeries {
  instance: string;
  job: string;
}

export interface SampleState extends ExpectedSeries {
  /** arrived: the receiver has a sample of it (for a host this run changed: one newer than when the wait began). */
  state: 'arrived' | 'missing';
  /** When the newest sample was taken (the sender's clock), ISO. */
  lastSample?: string;
  /** The newest sample before the wait began, for a changed host: what a fresh one must beat. */
  before?: string;
}

/** Each job the host's Alloy scrapes and ships: its extra scrapes (job_name = name) and, with host_metrics, the unix exporter. */
export function expectedSeries(hosts: readonly ResolvedHost[]): ExpectedSeries[] {
  return hosts.flatMap((host) => {
    const alloy = shippingOf(host);
    const jobs = [...(alloy.extra_scrapes ?? []).map((scrape) => String(scrape.name)), ...(alloy.host_metrics ? [HOST_METRICS_JOB] : [])];
    return jobs.map((job) => ({ instance: host.name, job }));
  });
}

/** A PromQL regex matching exactly these values, inside a double-quoted PromQL string. */
function exactRegex(values: readonly string[]): string {
  const regex = [...new Set(values)].map((value) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  return regex.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/** The newest `up` sample per host and job: `up` is written for every scrape, even a failed one, so it proves the path. */
export function samplesQuery(expected: readonly ExpectedSeries[]): string {
  return `max by (instance, job) (timestamp(up{instance=~"${exactRegex(expected.map((series) => series.instance))}", job=~"${exactRegex(expected.map((series) => series.job))}"}))`;
}

const keyOf = (series: ExpectedSeries) => `${series.instance}\0${series.job}`;

async function newestSamples(connection: Connection, url: string, query: string): Promise<Map<string, number>> {
  const result = await queryPrometheus(connection, url, query);
  return new Map(result.map((sample) => [keyOf({ instance: sample.metric.instance ?? '', job: sample.metric.job ?? '' }), Number(sample.value[1]) * 1000]));
}

/** Where each expected series stands, given the newest samples now and before the wait. */
export function sampleStates(expected: readonly ExpectedSeries[], now: ReadonlyMap<string, number>, before: ReadonlyMap<string, number>, changed: ReadonlySet<string>): SampleState[] {
  return expected.map((series) => {
    const at = now.get(keyOf(series));
    const earlier = changed.has(series.instance) ? before.get(keyOf(series)) : undefined;
    const arrived = at !== undefined && (earlier === undefined || at > earlier);
    return {
      ...series,
      state: arrived ? 'arrived' : 'missing',
      ...(at !== undefined ? { lastSample: new Date(at).toISOString() } : {}),
      ...(earlier !== undefined ? { before: new Date(earlier).toISOString() } : {}),
    };
  });
}

/**
 * Queries the receiver until every expected series has a sample, or the deadline passes. For a host
 * this run changed, only a sample newer than the wait's start counts: the old Alloy's samples stay
 * visible for Prometheus' five-minute lookback and would prove nothing about the new one.
 */
export async function waitForSamples(connection: Connection, url: string, expected: readonly ExpectedSeries[], changed: ReadonlySet<string>, deadlineMs: number): Promise<SampleState[]> {
  if (expected.length === 0) return [];
  const query = samplesQuery(expected);
  const started = Date.now();
  // Only a changed host needs the newest samples before the wait: a converged run costs one query.
  const before = expected.some((series) => changed.has(series.instance)) ? await newestSamples(connection, url, query) : new Map<string, number>();
  for (;;) {
    const states = sampleStates(expected, await newestSamples(connection, url, query), before, changed);
    if (states.every((state) => state.state === 'arrived') || Date.now() - started >= deadlineMs) return states;
    await sleep(1000);
  }
}

/** The failure for series that never arrived: the receiver, the query to repeat, and where to look. */
export function missingSamplesMessage(missing: readonly SampleState[], receiver: string, url: string, expected: readonly ExpectedSeries[], deadlineMs: number): string {
  const which = missing.map((state) => `${state.instance} (job ${state.job}${state.before ? `, nothing newer than ${state.before}` : ''})`).join(', ');
  return `no samples from Alloy on ${which} reached ${receiver} within ${deadlineMs / 1000} s: fleet queried ${url}/api/v1/query with ${samplesQuery(expected)}; see Alloy's log on the host (journalctl -u alloy)`;
}
