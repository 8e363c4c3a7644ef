import { HostError } from '../connection/errors.ts';
import type { HostOutcome } from '../engine/events.ts';
import { applyHostPlan, confirmConverged, isChange, planHost, runChecks, selectByTags, type HostProgram } from '../engine/host-plan.ts';
import { runOnHosts } from '../engine/run-hosts.ts';
import { UsageError } from '../errors.ts';
import type { ResolvedHost } from '../inventory/resolve.ts';
import { buildHostProgram, type FleetContext } from '../playbook/build-program.ts';
import { prometheusUrl } from '../register/register.ts';
import { loadPlaybooks } from '../playbook/load.ts';
import type { Change, FactRequest } from '../resources/types.ts';
import { parseRecord, RECORD_FACT, recordFact, withCreated, writeRecord } from '../lifecycle/host-record.ts';
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
export async function buildPrograms(hosts: readonly ResolvedHost[], playbookNames: readonly string[], tags: readonly string[], loaded: LoadedHosts, inventoryDir: string): Promise<Map<string, HostProgram>> {
  const playbooks = await loadPlaybooks(playbookNames.length ? playbookNames : ['site'], inventoryDir);
  const firstServer = loaded.inventory.raw.prometheus?.servers[0];
  const fleet: FleetContext = {
    prometheus_addresses: loaded.prometheusServers.map((server) => server.address),
    prometheus_remote_write_url: firstServer ? `${prometheusUrl(firstServer, loaded.prometheusServers[0]!)}/api/v1/write` : '',
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
  forks: number;
  passwords: ReadonlyMap<string, string>;
  /** Read-only commands run with the host's facts, in the same round trip; their outputs come back in `extra`. */
  extraFacts?: (host: ResolvedHost) => FactRequest[];
  /** Leave the host's record of what fleet created alone (uninstall keeps it itself). */
  noRecord?: boolean;
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
        report('facts');
        const extraFacts = run.extraFacts?.(host) ?? [];
        const plan = await planHost(connection, program, { diff: run.diff, extraFacts: run.check || run.noRecord ? extraFacts : [...extraFacts, recordFact()] });
        changes.push(...plan.changes);
        if (run.extraFacts) extra = Object.fromEntries(extraFacts.map(({ key }) => [key, plan.facts.raw.get(key) ?? '']));
        if (run.check) {
          changes.push(...(await runChecks(connection, program, plan.facts, { once: true }, report)));
        } else {
          // The record lists what this run creates before creating it, so a run that fails halfway leaves nothing unrecorded.
          const previous = parseRecord(plan.facts.raw.get(RECORD_FACT));
          const record = withCreated(previous, program, plan.changes);
          if (!run.noRecord && record.created.length > previous.created.length) await writeRecord(connection, record);
          changes.push(...(await applyHostPlan(connection, program, plan, report)));
          if (changes.some(isChange)) {
            report('re-check');
            await confirmConverged(connection, program);
          }
          changes.push(...(await runChecks(connection, program, plan.facts, { once: false }, report)));
          if (!run.noRecord) await writeRecord(connection, { ...record, lastApply: new Date().toISOString() });
        }
      } catch (error) {
        // The report still shows what was planned and done before the failing step.
        if (error instanceof HostError) error.result = { changes };
        throw error;
      }
      return { status: changes.some(isChange) ? 'changed' : 'ok', result: extra ? { changes, extra } : { changes } };
    },
    { forks: run.forks, emit: progress.sink, openOptions: becomeOpenOptions(run.passwords) },
  );
  progress.stop();
  return outcomes;
}
