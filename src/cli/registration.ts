import type { HostOutcome } from '../engine/events.ts';
import { Connection, type OpenOptions } from '../connection/ssh.ts';
import type { ResolvedHost } from '../inventory/resolve.ts';
import { registerWithPrometheus, type RegisterOptions, type ServerResult } from '../register/register.ts';
import { nodeExporterScrapeAuth } from '../register/scrape-auth.ts';
import { nodeExporterScrapeTls } from '../register/scrape-tls.ts';
import { registeredHosts } from '../register/targets.ts';
import { remoteWritesToFirstServer } from '../register/remote-write-samples.ts';
import { applyShard } from '../inventory/shard.ts';
import { becomeOpenOptions } from './become-passwords.ts';
import { color } from './colors.ts';
import type { LoadedHosts } from './load-hosts.ts';
import { renderChanges } from './render-changes.ts';
import { createProgress, formatSeconds, paintStatus } from './reporter.ts';
import { formatTable } from './table.ts';
import { maskCredentials } from './output-diffs.ts';

export interface RegistrationRun {
  /** Hosts left out of the target files (fleet remove). */
  without?: readonly string[];
  /** Hosts left out of one job's target file (fleet remove --component). */
  unlisted?: RegisterOptions['unlisted'];
  /** Hosts whose targets must be up before the deadline. */
  awaited: readonly ResolvedHost[];
  /** Hosts this run changed: their targets need a fresh scrape (default: all awaited hosts). */
  changed?: readonly string[];
  /** Without --shard: delete the target files sharded runs left. */
  pruneShardFiles?: boolean;
  check: boolean;
  diff: boolean;
  forks: number;
  passwords: ReadonlyMap<string, string>;
  /** Sessions to the servers opened while the hosts ran (see openServersEarly). */
  early?: EarlySessions;
}

export interface EarlySessions {
  connect: (host: ResolvedHost, options: OpenOptions) => Promise<Connection>;
  /** Closes the sessions the registration did not take (it did not run, or skipped a server). */
  closeUnused(): void;
}

/**
 * Starts the SSH sessions to the Prometheus servers while the hosts are still running, so the
 * registration does not begin with a handshake: in a converged fleet's apply, that handshake was one
 * of the few things left between the last host and the end of the run.
 */
export function openServersEarly(loaded: LoadedHosts, passwords: ReadonlyMap<string, string>): EarlySessions {
  const openOptions = becomeOpenOptions(passwords);
  const sessions = new Map<string, { opening: Promise<Connection>; taken: boolean }>(loaded.prometheusServers.map((host) => {
    const opening = Connection.open(host.ssh, { label: host.name, ...openOptions(host) });
    // A failure is reported by the registration, when it takes the session.
    opening.catch(() => {});
    return [host.name, { opening, taken: false }];
  }));
  return {
    connect(host, options) {
      const session = sessions.get(host.name);
      if (!session || session.taken) return Connection.open(host.ssh, options);
      session.taken = true;
      return session.opening;
    },
    closeUnused() {
      for (const session of sessions.values()) if (!session.taken) session.opening.then((connection) => connection.close(), () => {});
    },
  };
}

/** The hosts a run connects to: the given ones, plus the Prometheus servers when it registers. */
export function withPrometheusServers(hosts: readonly ResolvedHost[], loaded: LoadedHosts, register: boolean): ResolvedHost[] {
  return [...new Set([...hosts, ...(register ? loaded.prometheusServers : [])])];
}

/** Fails before any connection when registration could not run (credentials it needs are missing). */
export function checkRegistrationInputs(loaded: LoadedHosts): void {
  if (loaded.inventory.raw.prometheus) {
    nodeExporterScrapeAuth(registeredHosts(loaded.all));
    nodeExporterScrapeTls(registeredHosts(loaded.all));
  }
}

/** Registers the inventory's hosts with its Prometheus servers; the servers are reached whatever the --limit. */
export async function runRegistration(loaded: LoadedHosts, run: RegistrationRun): Promise<HostOutcome<ServerResult>[]> {
  const settings = loaded.inventory.raw.prometheus;
  if (!settings) return [];
  // A sharded run lists its shard of the whole inventory (not of --limit) in its own files.
  const without = new Set(run.without ?? []);
  const registered = registeredHosts(applyShard(loaded.all, loaded.shard)).filter((host) => !without.has(host.name));
  const isRegistered = new Set(registered);
  const unlistedAlloy = new Set(run.unlisted?.['fleet-alloy'] ?? []);
  const progress = await createProgress(loaded.prometheusServers.length, run.check ? 'checking registration on' : 'registering with');
  const outcomes = await registerWithPrometheus(loaded.prometheusServers, {
    settings,
    registered,
    unlisted: run.unlisted,
    awaited: run.awaited.filter((host) => isRegistered.has(host)),
    changed: new Set(run.changed ?? run.awaited.map((host) => host.name)),
    scrapeAuth: nodeExporterScrapeAuth(registered),
    shard: loaded.shard,
    pruneShardFiles: run.pruneShardFiles,
    scrapeTls: nodeExporterScrapeTls(registered),
    remoteWriteSenders: registered.filter((host) => remoteWritesToFirstServer(host) && !unlistedAlloy.has(host.name)),
    check: run.check,
    diff: run.diff,
    forks: run.forks,
    emit: progress.sink,
    openOptions: becomeOpenOptions(run.passwords),
    connect: run.early?.connect,
  });
  progress.stop();
  return outcomes;
}

/** The registration part of a report: file changes, the reload, and each target as Prometheus sees it. */
export function renderRegistration(outcomes: readonly HostOutcome<ServerResult>[], options: { diff: boolean; check: boolean }): string {
  if (outcomes.length === 0) return '';
  const parts: string[] = [`\n\n${color.bold(options.check ? 'PROMETHEUS REGISTRATION (check: nothing was changed)' : 'PROMETHEUS REGISTRATION')}`];
  for (const outcome of outcomes) {
    const result = outcome.result;
    const reload = result?.reloaded ? `, reloaded (${result.reloaded === 'http' ? 'POST /-/reload' : 'systemctl reload'})` : '';
    parts.push(`${outcome.host}: ${paintStatus(outcome.status)} ${color.dim(formatSeconds(outcome.durationMs))}${reload}${outcome.error ? ` ${color.red(`${outcome.error.step}: ${maskCredentials(outcome.error.message)}`)}` : ''}`);
    if (result?.rereadTargets) parts.push(color.yellow(`${outcome.host}: ${result.rereadTargets}`));
    const changes = renderChanges(outcome.host, result?.changes ?? [], options.diff);
    if (changes) parts.push(changes);
    const rows = (result?.targets ?? []).map((target) => [
      `  ${target.instance}`,
      target.job,
      target.address,
      target.health === 'up' ? color.green('up') : color.red(target.health),
      target.lastError ? `${target.lastError}${target.scrapeUrl ? ` (${target.scrapeUrl})` : ''}` : '',
    ]);
    if (rows.length) parts.push(formatTable(rows));
    // Remote-written series, as the receiver (this server) has them.
    const samples = (result?.samples ?? []).map((state) => [
      `  ${state.instance}`,
      state.job,
      'remote write',
      state.state === 'arrived' ? color.green('arrived') : color.red('missing'),
      state.lastSample ? `last sample ${state.lastSample}` : 'no sample',
    ]);
    if (samples.length) parts.push(formatTable(samples));
  }
  return parts.join('\n');
}
