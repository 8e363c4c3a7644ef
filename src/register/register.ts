import { setTimeout as sleep } from 'node:timers/promises';
import { HostError } from '../connection/errors.ts';
import type { Connection, OpenOptions } from '../connection/ssh.ts';
import type { EventSink, HostOutcome } from '../engine/events.ts';
import { applyHostPlan, isChange, planHost, type HostProgram } from '../engine/host-plan.ts';
import { runOnHosts } from '../engine/run-hosts.ts';
import type { ResolvedHost } from '../inventory/resolve.ts';
import type { PrometheusSettings } from '../inventory/schema.ts';
import { directoryResource } from '../resources/directory.ts';
import { editedFileResource } from '../resources/edited-file.ts';
import { absentFileResource, fileResource } from '../resources/file.ts';
import type { Change } from '../resources/types.ts';
import { activeTargets, activeTargetsFact, activeTargetsFromFact, reloadPrometheus, remoteWriteReceiverEnabled, type ActiveTarget } from './prometheus-api.ts';
import type { ScrapeAuth } from './scrape-auth.ts';
import { ensureFleetJobs, type JobSettings } from './scrape-config.ts';
import type { ScrapeTls } from './scrape-tls.ts';
import { dirname } from 'node:path';
import type { Shard } from '../inventory/shard.ts';
import { listShardFiles, targetFileName } from './shard-files.ts';
import { FLEET_JOBS, fileSdContent, sameFormAsScrapeUrl, targetAddress, type FleetJob } from './targets.ts';
import { expectedSeries, missingSamplesMessage, waitForSamples, type SampleState } from './remote-write-samples.ts';

export interface TargetState {
  job: string;
  instance: string;
  address: string;
  health: string;
  /** Prometheus' own words when the scrape fails, with the URL it tried. */
  lastError?: string;
  scrapeUrl?: string;
}

export interface ServerResult {
  changes: Change[];
  reloaded?: 'http' | 'systemd';
  /** Set when Prometheus had not picked up the target files on its own and a reload made it read them. */
  rereadTargets?: string;
  targets: TargetState[];
  /** On the first server, when hosts remote-write to it: whether each awaited host's series arrived. */
  samples?: SampleState[];
}

export interface RegisterOptions {
  settings: PrometheusSettings;
  /** Every host of the inventory that should be scraped: the files list exactly these. */
  registered: readonly ResolvedHost[];
  /** Hosts left out of one job's file only (fleet remove --component): the component is gone, the host stays. */
  unlisted?: Partial<Record<FleetJob['name'], readonly string[]>>;
  /** Hosts whose targets must come up before the deadline (this run's healthy hosts). */
  awaited: readonly ResolvedHost[];
  /**
   * Hosts this run changed (services restarted, ports opened): only a scrape newer than the
   * registration proves them. An unchanged host's current health in Prometheus is proof enough,
   * so a converged run does not wait a scrape interval.
   */
  changed: ReadonlySet<string>;
  /** Credentials for the fleet-node job when the Node Exporters require basic auth. */
  scrapeAuth?: ScrapeAuth;
  /** This run's shard: it writes only its own target files, listing only its hosts. */
  shard?: Shard;
  /** Without a shard: delete the shard files of fleet's jobs (left by sharded runs). */
  pruneShardFiles?: boolean;
  /** HTTPS for the fleet-node job when the Node Exporters serve TLS. */
  scrapeTls?: ScrapeTls;
  /** Hosts whose Alloy remote-writes to the first server (no alloy.remote_write_url of their own). */
  remoteWriteSenders?: readonly ResolvedHost[];
  check: boolean;
  diff: boolean;
  forks: number;
  emit: EventSink;
  openOptions: (host: ResolvedHost) => OpenOptions;
  /** Opens a server's session another way (a session opened while the hosts ran). */
  connect?: (host: ResolvedHost, openOptions: OpenOptions) => Promise<Connection>;
}

export function prometheusUrl(server: PrometheusSettings['servers'][number], host: ResolvedHost): string {
  return (server.url ?? `http://${host.address.includes(':') ? `[${host.address}]` : host.address}:9090`).replace(/\/$/, '');
}

/**
 * Registers the hosts with every Prometheus server: writes one file_sd file per job (no reload
 * needed: Prometheus watches them), ensures fleet's jobs in prometheus.yml (validated by promtool,
 * then a reload, only when it changed), then waits until Prometheus reports the targets up.
 */
export async function registerWithPrometheus(servers: readonly ResolvedHost[], options: RegisterOptions): Promise<HostOutcome<ServerResult>[]> {
  return runOnHosts<ServerResult>(
    servers,
    async ({ host, connection, report }) => {
      const server = options.settings.servers.find((entry) => entry.host === host.name)!;
      const url = prometheusUrl(server, host);
      const staleShardFiles = options.pruneShardFiles && !options.shard ? await listShardFiles(connection, server.file_sd_dir, FLEET_JOBS) : [];
      const program = registrationProgram(server, options, staleShardFiles);
      const changes: Change[] = [];
      const result: ServerResult = { changes, targets: [] };
      try {
        report('facts');
        // The server's clock and its targets are read in the same round trip as the files: a converged
        // fleet's registration is then one command.
        const plan = await planHost(connection, program, { diff: options.diff, extraFacts: [{ key: CLOCK_FACT, command: 'date +%s' }, activeTargetsFact(TARGETS_FACT, url)] });
        changes.push(...plan.changes);
        const configChanged = plan.changes.some((change) => change.resource === `file ${server.config_file}` && isChange(change));
        if (!options.check) {
          await applyHostPlan(connection, program, plan, report);
          if (configChanged) {
            report('reload prometheus');
            result.reloaded = await reloadPrometheus(connection, url).catch((error: Error) => {
              throw new HostError('command', `reload of ${url}: ${error.message}`);
            });
          }
        }
        report('wait for targets');
        // Prometheus re-reads target files when they change; should that notice go missing (seen under
        // heavy load), targets stay absent until its 5-minute fallback. A reload makes it read them now.
        const nudge = async (missing: string) => {
          report('reload prometheus');
          result.reloaded = await reloadPrometheus(connection, url);
          result.rereadTargets = `Prometheus had not read the target files ${NUDGE_AFTER_MS / 1000} s after they changed (${missing}); fleet reloaded it`;
        };
        // What the facts saw stands while nothing on the server changed since. After a change the clock is
        // read again: a scrape between the facts and the change (an old password file, the config before
        // the reload) proves nothing about the new state.
        const unchanged = options.check || !plan.changes.some(isChange);
        const firstLook = unchanged ? { serverNowMs: Number(plan.facts.raw.get(CLOCK_FACT)?.trim()) * 1000, targets: plan.facts.raw.get(TARGETS_FACT) } : { serverNowMs: Number.NaN };
        result.targets = await waitForTargets(connection, url, options, options.check ? 0 : options.settings.wait_for_targets * 1000, nudge, firstLook);
      } catch (error) {
        if (error instanceof HostError) error.result = result;
        throw error;
      }
      const problems: string[] = [];
      const senders = server === options.settings.servers[0] ? (options.remoteWriteSenders ?? []) : [];
      const receives = senders.length === 0 || (await remoteWriteReceiverEnabled(connection, url).catch((error: Error) => {
        throw new HostError('verify', `Prometheus at ${url}: ${error.message}`);
      }));
      if (!receives) {
        problems.push(
          `Prometheus at ${url} does not accept remote write (it answers 404 on /api/v1/write), yet Alloy on ${senders.map((sender) => sender.name).join(', ')} sends metrics there: ` +
            'start Prometheus with --web.enable-remote-write-receiver (Debian: add it to ARGS in /etc/default/prometheus, then restart it), or set alloy.remote_write_url',
        );
      } else if (senders.length) {
        // Only the receiver itself proves the path: Alloy reports nothing to fleet about failed writes.
        report('wait for remote-written samples');
        const awaitedHosts = new Set(options.awaited);
        const expected = expectedSeries(senders.filter((sender) => awaitedHosts.has(sender)));
        const deadlineMs = options.check ? 0 : options.settings.wait_for_targets * 1000;
        result.samples = await waitForSamples(connection, url, expected, options.changed, deadlineMs).catch((error: Error) => {
          throw new HostError('verify', `Prometheus at ${url}: ${error.message}`);
        });
        const missing = result.samples.filter((state) => state.state === 'missing');
        if (missing.length && !options.check) problems.push(missingSamplesMessage(missing, `${url}/api/v1/write`, url, expected, deadlineMs));
      }
      const awaited = new Set(options.awaited.map((host) => host.name));
      const down = result.targets.filter((target) => target.health !== 'up' && awaited.has(target.instance));
      if (down.length && !options.check) problems.push(`${down.length} target(s) not up in Prometheus: ${down.map((target) => `${target.instance} ${target.job} (${target.health}${target.lastError ? `: ${target.lastError}` : ''})`).join('; ')}`);
      if (problems.length) {
        const error = new HostError('verify', problems.join('; '));
        error.result = result;
        throw error;
      }
      return { status: changes.some(isChange) || result.reloaded ? 'changed' : 'ok', result };
    },
    { forks: options.forks, emit: options.emit, openOptions: options.openOptions, connect: options.connect },
  );
}

function registrationProgram(server: PrometheusSettings['servers'][number], options: RegisterOptions, staleShardFiles: readonly string[]): HostProgram {
  const tags = ['register'];
  // Node Exporters behind basic auth: Prometheus reads the password from a file only it (and root) can read.
  const passwordFile = `${dirname(server.config_file)}/fleet-node.password`;
  // Node Exporters on HTTPS: the CA that signed their certificates, next to prometheus.yml.
  const caFile = `${dirname(server.config_file)}/fleet-node-ca.crt`;
  const tls = options.scrapeTls;
  const node: JobSettings = {
    ...(tls ? { scheme: 'https' as const } : {}),
    ...(options.scrapeAuth ? { basic_auth: { username: options.scrapeAuth.username, password_file: passwordFile } } : {}),
    ...(tls ? { tls_config: { ...(tls.caPem ? { ca_file: caFile } : {}), ...(tls.insecureSkipVerify ? { insecure_skip_verify: true } : {}) } } : {}),
  };
  return {
    resources: [
      { resource: directoryResource({ path: server.file_sd_dir, mode: '0755', owner: 'root', group: 'root', tags }) },
      ...FLEET_JOBS.map((job) => ({
        resource: fileResource({ path: `${server.file_sd_dir}/${targetFileName(job, options.shard)}`, content: fileSdContent(listedHosts(options, job), job), mode: '0644', owner: 'root', group: 'root', tags }),
      })),
      // The password file exists before the config names it, and is removed only once the new config no
      // longer names it (Prometheus reloads right after).
      ...staleShardFiles.map((path) => ({ resource: absentFileResource({ path, tags }) })),
      ...(options.scrapeAuth
        ? [{ resource: fileResource({ path: passwordFile, content: options.scrapeAuth.password, mode: '0640', owner: 'root', group: 'prometheus', sensitive: true, tags }) }]
        : []),
      ...(tls?.caPem ? [{ resource: fileResource({ path: caFile, content: tls.caPem, mode: '0644', owner: 'root', group: 'root', tags }) }] : []),
      {
        resource: editedFileResource({
          path: server.config_file,
          edit: (current) => ensureFleetJobs(current, FLEET_JOBS, server.file_sd_dir, options.settings.scrape_interval, { 'fleet-node': node }),
          // promtool also parses the file_sd files the config names, so a bad target list is caught here too.
          validate: 'promtool check config %s',
          tags,
        }),
      },
      ...(options.scrapeAuth ? [] : [{ resource: absentFileResource({ path: passwordFile, tags }) }]),
      ...(tls?.caPem ? [] : [{ resource: absentFileResource({ path: caFile, tags }) }]),
    ],
    checks: [],
  };
}

/** The hosts one job's target file lists. */
function listedHosts(options: RegisterOptions, job: FleetJob): ResolvedHost[] {
  const unlisted = new Set(options.unlisted?.[job.name] ?? []);
  return options.registered.filter((host) => !unlisted.has(host.name));
}

function scrapesAddress(scrapeUrl: string, address: string): boolean {
  const { wanted, seen } = sameFormAsScrapeUrl(address, scrapeUrl);
  return wanted === seen;
}

const NUDGE_AFTER_MS = 15_000;
const CLOCK_FACT = 'server:clock';
const TARGETS_FACT = 'server:targets';

/** Polls the targets API until every awaited target is up, or the deadline passes; then reports all of fleet's targets. */

async function waitForTargets(connection: Connection, url: string, options: RegisterOptions, deadlineMs: number, nudge: (missing: string) => Promise<void>, firstLook: { serverNowMs: number; targets?: string }): Promise<TargetState[]> {
  const started = Date.now();
  let nudged = false;
  // Only a scrape after this moment (on the server's clock, after every host's changes and the
  // registration's own) proves anything: health is stale until then.
  const serverNow = Number.isFinite(firstLook.serverNowMs) ? firstLook.serverNowMs : Number((await connection.execChecked('read the server clock', 'date +%s')).trim()) * 1000;
  let seen = firstLook.targets;
  const fresh = (target: ActiveTarget, host: string) => deadlineMs === 0 || !options.changed.has(host) || Date.parse(target.lastScrape) >= serverNow;
  // Sets and maps, not searches: with thousands of hosts, a search per host is millions of comparisons.
  const listed = new Map(FLEET_JOBS.map((job) => [job.name, new Set(listedHosts(options, job))]));
  const awaited = new Set(options.awaited.map((host) => host.name));
  const expected = options.registered.flatMap((host) =>
    FLEET_JOBS.filter((job) => listed.get(job.name)!.has(host)).map((job) => ({ host, job: job.name, address: targetAddress(host, job.port(host)) })),
  );
  for (;;) {
    const looked = seen;
    seen = undefined;
    const active = await (looked === undefined ? activeTargets(connection, url) : Promise.resolve().then(() => activeTargetsFromFact(url, looked))).catch((error: Error) => {
      throw new HostError('verify', `Prometheus at ${url}: ${error.message}`);
    });
    const byInstance = new Map<string, ActiveTarget[]>();
    for (const candidate of active) {
      const key = `${candidate.labels.job}\n${candidate.labels.instance}`;
      const same = byInstance.get(key);
      if (same) same.push(candidate);
      else byInstance.set(key, [candidate]);
    }
    const states = expected.map(({ host, job, address }): TargetState => {
      // The address must match too: until Prometheus reads a changed file, the old target lingers.
      const target = byInstance.get(`${job}\n${host.name}`)?.find((candidate) => scrapesAddress(candidate.scrapeUrl, address));
      if (!target) return { job, instance: host.name, address, health: 'missing' };
      const health = fresh(target, host.name) ? target.health : 'unknown';
      return { job, instance: host.name, address, health, lastError: target.lastError || undefined, scrapeUrl: target.scrapeUrl };
    });
    const waiting = states.filter((state) => state.health !== 'up' && awaited.has(state.instance));
    if (waiting.length === 0 || Date.now() - started >= deadlineMs) return states;
    const missing = waiting.filter((state) => state.health === 'missing');
    if (!nudged && missing.length > 0 && Date.now() - started >= NUDGE_AFTER_MS) {
      nudged = true;
      await nudge(missing.map((state) => `${state.instance} ${state.job}`).join(', '));
    }
    await sleep(1000);
  }
}
