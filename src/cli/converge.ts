import { HostError } from '../connection/errors.ts';
import type { HostOutcome } from '../engine/events.ts';
import { convergeHost, isChange, selectByTags, type HostProgram, type TagSelection } from '../engine/host-plan.ts';
import type { Serial } from '../engine/batches.ts';
import { runOnHosts } from '../engine/run-hosts.ts';
import { UsageError } from '../errors.ts';
import type { ResolvedHost } from '../inventory/resolve.ts';
import { buildHostProgram, type FleetContext } from '../playbook/build-program.ts';
import { prometheusUrl } from '../register/register.ts';
import { loadPlaybooks } from '../playbook/load.ts';
import type { Change, FactRequest } from '../resources/types.ts';
import { parseRecord, RECORD_FACT, recordFact, recordTextOf, withCreated, writeRecord, type HostRecord } from '../lifecycle/host-record.ts';
import { becomeOpenOptions } from './become-passwords.ts';
import type { LoadedHosts } from './load-hosts.ts';
import { createProgress } from './reporter.ts';

export type ConvergeOutcome = HostOutcome<ConvergeResult>;

export interface ConvergeResult {
  changes: Change[];
  /** The outputs of the run's extra fact commands (fleet status), by key; absent otherwise. */
  extra?: Record<string, string>;
}

/**
 * Every selected host's program, rendered before the first connection: a bad variable or template
 * stops the run with every host untouched.
 */
export async function buildPrograms(hosts: readonly ResolvedHost[], playbookNames: readonly string[], tags: TagSelection, loaded: LoadedHosts, inventoryDir: string): Promise<Map<string, HostProgram>> {
  const playbooks = await loadPlaybooks(playbookNames.length ? playbookNames : ['site'], inventoryDir);
  const firstServer = loaded.inventory.raw.prometheus?.servers[0];
  const fleet: FleetContext = {
    prometheus_addresses: loaded.prometheusServers.map((server) => server.address),
    prometheus_remote_write_url: firstServer ? `${prometheusUrl(firstServer, loaded.prometheusServers[0]!)}/api/v1/write` : '',
    prometheus_scrape_interval: loaded.inventory.raw.prometheus?.scrape_interval ?? '',
  };
  const peers = new Map(loaded.all.map((host) => [host.name, host]));
  const programs = new Map<string, HostProgram>();
  for (const host of hosts) {
    try {
      programs.set(host.name, selectByTags(await buildHostProgram(playbooks, host, inventoryDir, fleet, peers), tags));
    } catch (error) {
      if (error instanceof UsageError) throw new UsageError(`host ${host.name}: ${error.message}`);
      throw error;
    }
  }
  return programs;
}

export interface ConvergeRun {
  /** Plan only: read the hosts and report, write nothing. */
  check: boolean;
  diff: boolean;
  /** Hash every installed binary in full, whatever fleet's records say. */
  verifyHashes?: boolean;
  forks: number;
  passwords: ReadonlyMap<string, string>;
  /** Read-only commands run with the host's facts, in the same round trip; their outputs come back in `extra`. */
  extraFacts?: (host: ResolvedHost) => FactRequest[];
  /** Leave the host's record of what fleet created alone (uninstall keeps it itself). */
  noRecord?: boolean;
  /** Rolling runs and interruption, passed to runOnHosts. */
  serial?: Serial;
  maxFailPercent?: number;
  signal?: AbortSignal;
}

/** Plans (and unless checking, applies and verifies) every host's program in parallel, with progress on stderr. */
export async function convergeHosts(hosts: readonly ResolvedHost[], programs: ReadonlyMap<string, HostProgram>, run: ConvergeRun): Promise<ConvergeOutcome[]> {
  const progress = await createProgress(hosts.length, run.check ? 'checking' : 'applying');
  const outcomes = await runOnHosts<ConvergeResult>(
    hosts,
    async ({ host, connection, report }) => {
      const program = programs.get(host.name)!;
      const changes: Change[] = [];
      let extra: Record<string, string> | undefined;
      try {
        const extraFacts = run.extraFacts?.(host) ?? [];
        const keepRecord = !run.check && !run.noRecord;
        let record: HostRecord | undefined;
        await convergeHost(
          connection,
          program,
          {
            ...run,
            extraFacts: keepRecord ? [...extraFacts, recordFact()] : extraFacts,
            async onPlan(plan) {
              if (run.extraFacts) extra = Object.fromEntries(extraFacts.map(({ key }) => [key, plan.facts.raw.get(key) ?? '']));
              if (!keepRecord) return;
              // The record lists what this run creates before creating it, so a run that fails halfway leaves nothing unrecorded.
              const previous = parseRecord(recordTextOf(plan.facts.raw.get(RECORD_FACT)));
              record = withCreated(previous, program, plan.changes);
              if (record.created.length > previous.created.length) await writeRecord(connection, record);
              // A converged host's apply stays one command: the time is written only when the run changes the host.
              if (!plan.changes.some(isChange) && previous.lastApply) record = undefined;
            },
            afterApply: async () => {
              if (record) await writeRecord(connection, { ...record, lastApply: new Date().toISOString() });
            },
          },
          report,
          changes,
        );
      } catch (error) {
        // The report still shows what was planned and done before the failing step.
        if (error instanceof HostError) error.result = { changes };
        throw error;
      }
      return { status: changes.some(isChange) ? 'changed' : 'ok', result: extra ? { changes, extra } : { changes } };
    },
    { forks: run.forks, emit: progress.sink, openOptions: becomeOpenOptions(run.passwords), serial: run.serial, maxFailPercent: run.maxFailPercent, signal: run.signal },
  );
  progress.stop();
  return outcomes;
}
