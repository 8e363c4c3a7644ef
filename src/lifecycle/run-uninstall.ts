import { runOnHosts } from '../engine/run-hosts.ts';
import type { HostProgram } from '../engine/host-plan.ts';
import type { ResolvedHost } from '../inventory/resolve.ts';
import { becomeOpenOptions } from '../cli/become-passwords.ts';
import { convergeHosts, type ConvergeOutcome } from '../cli/converge.ts';
import { RECORD_PATH, parseRecord } from './host-record.ts';
import { selectEntries, uninstallProgram, type Component } from './uninstall.ts';
import { shellQuote } from '../connection/quote.ts';

export interface UninstallRun {
  components: readonly Component[];
  check: boolean;
  diff: boolean;
  forks: number;
  passwords: ReadonlyMap<string, string>;
}

/**
 * Reads each host's record of what fleet created, then removes that (or plans it with --check) like any
 * other plan: hosts that cannot be read are reported unreachable or failed and the others go on.
 */
export async function uninstallHosts(hosts: readonly ResolvedHost[], run: UninstallRun): Promise<ConvergeOutcome[]> {
  const reads = await runOnHosts<HostProgram>(
    hosts,
    async ({ connection, report }) => {
      report('read record');
      const record = parseRecord((await connection.exec(`cat ${shellQuote(RECORD_PATH)} 2>/dev/null || true`, { sudo: true })).stdout);
      return { status: 'ok', result: uninstallProgram(record, selectEntries(record, run.components)) };
    },
    { forks: run.forks, emit: () => {}, openOptions: becomeOpenOptions(run.passwords) },
  );
  const programs = new Map(reads.filter((read) => read.result).map((read) => [read.host, read.result!]));
  const readable = hosts.filter((host) => programs.has(host.name));
  const outcomes = await convergeHosts(readable, programs, { check: run.check, diff: run.diff, forks: run.forks, passwords: run.passwords, noRecord: true });
  const failedReads = reads.filter((read) => !programs.has(read.host)).map((read): ConvergeOutcome => ({ ...read, result: { changes: [] } }));
  return hosts.map((host) => [...outcomes, ...failedReads].find((outcome) => outcome.host === host.name)!);
}
