import { UsageError } from '../errors.ts';
import { COMPONENT_TAGS, type Component } from '../lifecycle/uninstall.ts';
import type { FleetJob } from '../register/targets.ts';

/** The Prometheus job that scrapes each component. */
const COMPONENT_JOBS: Record<Component, FleetJob['name']> = { 'node-exporter': 'fleet-node', alloy: 'fleet-alloy' };
import { collectBecomePasswords } from './become-passwords.ts';
import { color } from './colors.ts';
import type { RemoveOptions } from './commands/register.ts';
import { exitCodeFor } from './exit-codes.ts';
import { diffReplacer, maskCredentials } from './output-diffs.ts';
import { renderChanges } from './render-changes.ts';
import { formatSeconds, paintStatus } from './reporter.ts';
import { formatTable } from './table.ts';

/** fleet remove: deregister the hosts, and with --uninstall or --component remove what fleet created on them. */
export async function runRemove(inventoryFile: string, names: string[], options: RemoveOptions): Promise<void> {
  const components = (options.component ?? []).map((name): Component => {
    if (name in COMPONENT_TAGS) return name as Component;
    throw new UsageError(`--component ${name}: unknown component; choose ${Object.keys(COMPONENT_TAGS).join(' or ')}`);
  });
  const uninstall = options.uninstall === true || components.length > 0;
  const { loadHosts } = await import('./load-hosts.ts');
  const { checkRegistrationInputs, renderRegistration, runRegistration, withPrometheusServers } = await import('./registration.ts');
  const loaded = await loadHosts(inventoryFile, { limit: options.limit, extraVars: options.extraVars });
  const unknown = names.filter((name) => !loaded.all.some((host) => host.name === name));
  if (unknown.length) throw new UsageError(`not in ${inventoryFile}: ${unknown.join(', ')}`);
  // Removing a whole host takes it out of Prometheus; one component removed takes out only that component's
  // target, and the host stays registered with the other.
  const deregister = loaded.inventory.raw.prometheus !== undefined;
  if (!uninstall && !deregister) throw new UsageError(`${inventoryFile} names no Prometheus servers; add prometheus: { servers: [{ host: NAME }] }, or pass --uninstall`);
  if (deregister) checkRegistrationInputs(loaded);
  const hosts = loaded.all.filter((host) => names.includes(host.name));
  const check = options.check === true;
  const diff = options.diff === true;
  const passwords = await collectBecomePasswords(withPrometheusServers(uninstall ? hosts : [], loaded, deregister));
  // Deregistered first, so Prometheus stops scraping before the exporters stop and no target goes down on the way.
  const unlisted = Object.fromEntries(components.map((component) => [COMPONENT_JOBS[component], names]));
  const registration = deregister ? await runRegistration(loaded, components.length ? { unlisted, awaited: [], check, diff, forks: options.forks, passwords } : { without: names, awaited: [], check, diff, forks: options.forks, passwords }) : [];
  const { uninstallHosts } = await import('../lifecycle/run-uninstall.ts');
  const removed = uninstall ? await uninstallHosts(hosts, { components, check, diff, forks: options.forks, passwords }) : [];
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ command: 'remove', check, removed: names, uninstall: removed, registration }, diffReplacer(diff), 2)}\n`);
  } else {
    const details = removed.map((outcome) => renderChanges(outcome.host, outcome.result?.changes ?? [], false)).filter(Boolean);
    if (details.length) process.stdout.write(`${details.join('\n')}\n`);
    if (removed.length) {
      const rows = removed.map((outcome) => [outcome.host, paintStatus(outcome.status), formatSeconds(outcome.durationMs), outcome.error ? color.red(`${outcome.error.step}: ${maskCredentials(outcome.error.message.split('\n')[0]!)}`) : '']);
      process.stdout.write(`\n${color.bold(check ? 'UNINSTALL PLAN (nothing was changed)' : 'UNINSTALL')}\n${formatTable(rows)}\n`);
    }
    if (registration.length) process.stdout.write(`${renderRegistration(registration, { diff, check })}\n`);
    if (deregister && !check && components.length === 0) process.stdout.write(`\nDeregistered ${names.join(', ')}. Delete them from ${inventoryFile}, or the next fleet apply registers them again.\n`);
    if (deregister && !check && components.length) process.stdout.write(`\n${names.join(', ')} stay registered without the ${components.map((component) => COMPONENT_JOBS[component]).join(' and ')} target. The next fleet apply of a playbook that installs ${components.join(' or ')} puts it back.\n`);
  }
  process.exitCode = exitCodeFor([...removed, ...registration]);
}
