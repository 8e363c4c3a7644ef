import { dirname } from 'node:path';
import { hostStatus, statusFacts, type HostStatusRow } from '../status/host-status.ts';
import { collectBecomePasswords } from './become-passwords.ts';
import { color } from './colors.ts';
import type { CommonOptions } from './common-options.ts';
import { buildPrograms, convergeHosts } from './converge.ts';
import { exitCodeFor } from './exit-codes.ts';
import { loadHosts } from './load-hosts.ts';
import { maskCredentials } from './output-diffs.ts';
import { checkRegistrationInputs, runRegistration, withPrometheusServers } from './registration.ts';
import { formatTable } from './table.ts';

/** fleet status: check's read-only pass, with the record, service states and running versions read in the same round trip. */
export async function runStatus(inventoryFile: string, playbookNames: string[], options: CommonOptions): Promise<void> {
  const loaded = await loadHosts(inventoryFile, { limit: options.limit, extraVars: options.extraVars });
  const programs = await buildPrograms(loaded.selected, playbookNames, { tags: [] }, loaded, dirname(inventoryFile));
  checkRegistrationInputs(loaded);
  const register = loaded.inventory.raw.prometheus !== undefined;
  const passwords = await collectBecomePasswords(withPrometheusServers(loaded.selected, loaded, register));
  const servicesOf = (name: string) => programs.get(name)!.resources.flatMap(({ resource }) => ('service' in resource ? [(resource as { service: { name: string } }).service.name] : []));
  const run = { check: true, diff: false, forks: options.forks, passwords };
  const outcomes = await convergeHosts(loaded.selected, programs, { ...run, extraFacts: (host) => statusFacts(host, servicesOf(host.name), programs.get(host.name)!.checks.map(({ check }) => check)) });
  const registration = register ? await runRegistration(loaded, { ...run, awaited: [] }) : [];
  const rows = outcomes.map((outcome) => hostStatus(outcome, registration));
  // What each SSH connection cost, as check's --json reports it (the benchmark compares the two).
  const usage = (outcome: { host: string; status: string; connection?: unknown }) => ({ host: outcome.host, status: outcome.status, connection: outcome.connection });
  const json = { command: 'status', hosts: rows.map((row, index) => ({ ...row, error: row.error && maskCredentials(row.error), connection: outcomes[index]!.connection })), registration: registration.map(usage) };
  process.stdout.write(options.json ? `${JSON.stringify(json, null, 2)}\n` : renderStatus(rows));
  process.exitCode = exitCodeFor(outcomes);
}

function renderStatus(rows: readonly HostStatusRow[]): string {
  const header = ['HOST', 'REACHABLE', 'VERSIONS', 'SERVICES', 'ENDPOINTS', 'TARGETS', 'DRIFT', 'LAST APPLY'].map((title) => color.bold(title));
  const words = (values: Record<string, string>) => Object.entries(values).map(([name, value]) => `${name} ${value}`).join(', ') || '-';
  const body = rows.map((row) => {
    if (!row.reachable) return [row.host, color.magenta('no'), '', '', '', words(Object.fromEntries(row.targets.map((target) => [`${target.server}/${target.job}`, target.health]))), '', color.red(maskCredentials(row.error ?? ''))];
    const services = Object.entries(row.services).map(([name, state]) => (state === 'active' ? `${name} ${color.green(state)}` : `${name} ${color.red(state)}`)).join(', ') || '-';
    const endpoints = `${row.endpoints.answering}/${row.endpoints.total}`;
    const targets = row.targets.map((target) => `${target.server}/${target.job} ${target.health === 'up' ? color.green('up') : color.red(target.health)}`).join(', ') || '-';
    const drift = row.error ? color.red(maskCredentials(row.error)) : row.drift ? color.yellow(String(row.drift)) : color.green('0');
    return [row.host, color.green('yes'), words(row.versions), services, row.endpoints.answering === row.endpoints.total ? color.green(endpoints) : color.red(endpoints), targets, drift, row.lastApply ?? 'never'];
  });
  return `${color.bold('FLEET STATUS (read-only: nothing was changed)')}\n${formatTable([header, ...body])}\n`;
}
