import { HostError } from '../connection/errors.ts';
import { shellCommand } from '../connection/quote.ts';
import { stepFailure, type Connection } from '../connection/ssh.ts';
import type { PackageManager } from '../facts/os-family.ts';
import { packageQueryCommand, parsePackageQuery, type QueryTool } from '../facts/packages.ts';
import type { Change, Facts, Notify, Resource } from './types.ts';

export interface PackageSpec {
  names: string[];
  state: 'present' | 'absent';
  tags?: string[];
  notify?: Notify[];
}

interface ManagerCommands {
  /** The tool that says what is installed. */
  query: QueryTool;
  /** The manager's own rule for a package name (the playbook's rule is looser: it does not know the host). */
  name: RegExp;
  install(names: string[]): string;
  remove(names: string[]): string;
  /** Refreshes the package lists, for a manager that does not do it itself. */
  refresh?: string;
  /** Output of a failed install that stale or missing lists explain. */
  staleLists?: RegExp;
}

// apt waits for a lock held by another apt (unattended-upgrades) instead of failing at once; a changed
// config file keeps the operator's version, as `apt-get -y` alone would stop to ask.
const APT_OPTIONS = ['-y', '-q', '-o', 'DPkg::Lock::Timeout=120'];
const RPM_NAME = /^[A-Za-z0-9_][A-Za-z0-9._+-]*$/;

/** How each package manager is asked, non-interactively; only apt runs on the lab's Debian hosts. */
export const PACKAGE_MANAGERS: Record<Exclude<PackageManager, 'none'>, ManagerCommands> = {
  apt: {
    query: 'dpkg',
    // Debian policy 5.6.7: lower case letters, digits, + - . ; at least two characters, starting alphanumeric.
    name: /^[a-z0-9][a-z0-9+.-]+$/,
    install: (names) => `DEBIAN_FRONTEND=noninteractive ${shellCommand('apt-get', 'install', ...APT_OPTIONS, '--no-install-recommends', '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold', ...names)}`,
    remove: (names) => `DEBIAN_FRONTEND=noninteractive ${shellCommand('apt-get', 'remove', ...APT_OPTIONS, ...names)}`,
    refresh: shellCommand('apt-get', 'update', '-q'),
    staleLists: /Unable to locate package|has no installation candidate|Failed to fetch|404\s+Not Found/,
  },
  // dnf refreshes expired metadata by itself; yum where there is no dnf (RHEL and CentOS 7, Amazon Linux 2).
  dnf: {
    query: 'rpm',
    name: RPM_NAME,
    install: (names) => dnfOrYum('install', '-y', '-q', ...names),
    remove: (names) => dnfOrYum('remove', '-y', '-q', ...names),
  },
  zypper: {
    query: 'rpm',
    name: RPM_NAME,
    install: (names) => shellCommand('zypper', '--non-interactive', 'install', '--no-recommends', ...names),
    remove: (names) => shellCommand('zypper', '--non-interactive', 'remove', ...names),
    refresh: shellCommand('zypper', '--non-interactive', 'refresh'),
    staleLists: /not found in package names|No provider of/,
  },
  apk: {
    query: 'apk',
    name: /^[a-z0-9_][a-z0-9._+-]*$/,
    install: (names) => shellCommand('apk', 'add', '-q', ...names),
    remove: (names) => shellCommand('apk', 'del', '-q', ...names),
    refresh: shellCommand('apk', 'update', '-q'),
    staleLists: /unable to select packages|no such package/,
  },
};

function dnfOrYum(...args: string[]): string {
  return `if command -v dnf >/dev/null 2>&1; then ${shellCommand('dnf', ...args)}; else ${shellCommand('yum', ...args)}; fi`;
}

/** Hosts (by their run's session) whose lists were refreshed in this run: at most once each. */
const refreshed = new WeakSet<Connection>();
const INSTALL_TIMEOUT_MS = 600_000;

/** Packages installed or removed with the manager the host's facts choose (apt, dnf, zypper, apk). */
export function packageResource(spec: PackageSpec): Resource {
  const id = `package ${spec.names.join(', ')}`;
  const key = `packages:${spec.names.join(' ')}`;
  /** The manager's commands and the names still to install (present) or remove (absent). */
  const pending = (facts: Facts) => {
    const manager = facts.host.packageManager;
    if (manager === 'none') {
      throw new HostError('command', `${id}: no package manager fleet knows for os "${facts.host.os.id}" (os_family ${facts.host.os.family}); fleet uses apt, dnf, zypper or apk`);
    }
    const commands = PACKAGE_MANAGERS[manager];
    const invalid = spec.names.find((name) => !commands.name.test(name));
    if (invalid) throw new HostError('command', `${id}: "${invalid}" is not a valid ${manager} package name (${commands.name.source})`);
    const query = parsePackageQuery(facts.raw.get(key) ?? '');
    const installed = query.installed.get(commands.query);
    if (!installed) throw new HostError('command', `${id}: ${facts.host.os.id} uses ${manager}, but the host has no ${commands.query === 'dpkg' ? 'dpkg-query' : commands.query} to ask what is installed`);
    const names = spec.names.filter((name) => installed.has(name) === (spec.state === 'absent'));
    return { manager, commands, names, listsMissing: manager === 'apt' && !query.aptLists };
  };
  return {
    id,
    tags: spec.tags ?? [],
    notify: spec.notify,
    facts: () => [{ key, command: packageQueryCommand(spec.names) }],
    plan(facts): Change {
      const { manager, names } = pending(facts);
      if (spec.state === 'present') {
        return names.length ? { resource: id, action: 'create', reason: `not installed: ${names.join(', ')} (${manager})` } : { resource: id, action: 'same', reason: `installed (${manager})` };
      }
      return names.length ? { resource: id, action: 'delete', reason: `installed, to remove: ${names.join(', ')} (${manager})` } : { resource: id, action: 'same', reason: `not installed (${manager})` };
    },
    async apply(connection, _change, facts) {
      const { commands, names, listsMissing } = pending(facts);
      const command = spec.state === 'present' ? commands.install(names) : commands.remove(names);
      const run = () => connection.exec(command, { sudo: true, timeoutMs: INSTALL_TIMEOUT_MS, name: id });
      if (spec.state === 'present' && listsMissing) await refreshLists(connection, commands);
      let result = await run();
      if (result.code !== 0 && spec.state === 'present' && commands.staleLists?.test(`${result.stdout}\n${result.stderr}`) && !refreshed.has(connection)) {
        await refreshLists(connection, commands);
        result = await run();
      }
      if (result.code !== 0) throw stepFailure(id, result);
    },
  };
}

async function refreshLists(connection: Connection, commands: ManagerCommands): Promise<void> {
  if (!commands.refresh || refreshed.has(connection)) return;
  refreshed.add(connection);
  await connection.execChecked('refresh the package lists', commands.refresh, { sudo: true, timeoutMs: INSTALL_TIMEOUT_MS });
}
