import { HostError } from '../connection/errors.ts';
import { shellCommand, shellQuote } from '../connection/quote.ts';
import { fileLinesFact, parseFileLines } from '../facts/file-lines.ts';
import type { Change, FactReader, Resource } from './types.ts';

export interface SystemUserSpec {
  name: string;
  /** Primary group, created as a system group when missing; defaults to the user's name. */
  group: string;
  /** Supplementary groups, which must exist (adm, systemd-journal). */
  groups: string[];
  /** Created (mode 0750) only when given; otherwise the account has no home. */
  home?: string;
  /** Change the account even when it is a login account (root or a UID from UID_MIN up). */
  force?: boolean;
  tags?: string[];
}

const NOLOGIN = '/usr/sbin/nologin';
const NO_HOME = '/nonexistent';

const UID_MIN_KEY = 'host:uid-min';

/**
 * Every account of a round trip from one `getent passwd`, and the groups of all from one `groups`
 * (`NAME : GROUP...` per account, the primary group first, as `id -Gn` lists them; an absent account
 * has no line), or one `id -Gn` each where groups prints no such line (BusyBox's). Each answer is
 * three lines: the passwd entry or `absent`, the primary group, all groups.
 * One `groups` for all where `id -Gn` ran per account, each in a command substitution: about 3 ms
 * less of a lab host's CPU for fleet's two accounts.
 */
const ACCOUNTS_READER: FactReader = {
  name: 'accounts',
  command(names) {
    const list = names.map(shellQuote).join(' ');
    // BusyBox groups takes one user and prints no "NAME : " (and a host may have no groups): without a
    // line of that shape every account is asked with id -Gn, as before. The substitution costs no fork
    // more than running groups: its child execs groups (bash would fork again without the exec).
    return [
      `getent passwd ${list}; echo "-- groups"; g=$(exec groups -- ${list} 2>/dev/null)`,
      `case $g in *' : '*) printf '%s\\n' "$g" ;; *) for u in ${list}; do printf '%s : %s\\n' "$u" "$(id -Gn -- "$u" 2>/dev/null)"; done ;; esac; true`,
    ].join('\n');
  },
  split(output, names) {
    const [passwdLines = '', groupLines = ''] = output.split(/^-- groups$/m);
    const entries = new Map(passwdLines.split('\n').filter((line) => line.includes(':')).map((line) => [line.slice(0, line.indexOf(':')), line]));
    const groups = new Map(groupLines.split('\n').filter((line) => line.includes(' : ')).map((line) => [line.slice(0, line.indexOf(' : ')), line.slice(line.indexOf(' : ') + 3).trim()]));
    return names.map((name) => {
      const all = groups.get(name) ?? '';
      return `${entries.get(name) ?? 'absent'}\n${all.split(' ')[0] ?? ''}\n${all}\n`;
    });
  },
};

/** A system account for a daemon: no login shell, no home unless asked, in the groups it needs. */
export function systemUserResource(spec: SystemUserSpec): Resource {
  const id = `user ${spec.name}`;
  const key = `user:${spec.name}`;
  return {
    id,
    tags: spec.tags ?? [],
    facts: () => [
      { key, reader: ACCOUNTS_READER, arg: spec.name },
      // The host's, read once for all users of the round trip (requests with the same key are one).
      fileLinesFact(UID_MIN_KEY, '/etc/login.defs', { matching: '^UID_MIN[ \t]' }),
    ],
    plan(facts): Change {
      const [passwd = 'absent', primary = '', all = ''] = (facts.raw.get(key) ?? '').trim().split('\n');
      const uidMinText = parseFileLines(facts.raw.get(UID_MIN_KEY)).text.trim().split(/\s+/)[1] ?? '';
      if (passwd === 'absent') {
        const extras = spec.groups.length ? `, in ${spec.groups.join(', ')}` : '';
        return { resource: id, action: 'create', reason: `new system user, group ${spec.group}${extras}, ${spec.home ? `home ${spec.home}` : 'no home'}, no login shell` };
      }
      const fields = passwd.split(':');
      // Turning a person's or the deploy account's shell into nologin locks them (and fleet) out.
      const uid = Number(fields[2]);
      const uidMin = Number(uidMinText) || 1000;
      if (!spec.force && (uid === 0 || (uid >= uidMin && uid !== 65534))) {
        throw new HostError(
          'command',
          `${id}: "${spec.name}" is an existing login account (uid ${uid}); fleet changes only system accounts, as it would set its shell to nologin. Choose another name, or set force: true on the task's user: to change it anyway`,
        );
      }
      const differences: string[] = [];
      if (primary !== spec.group) differences.push(`primary group ${primary} -> ${spec.group}`);
      const member = all.split(' ');
      const missing = spec.groups.filter((group) => !member.includes(group));
      if (missing.length) differences.push(`not in ${missing.join(', ')}`);
      if (fields[6] !== NOLOGIN) differences.push(`shell ${fields[6]} -> ${NOLOGIN}`);
      if (spec.home && fields[5] !== spec.home) differences.push(`home ${fields[5]} -> ${spec.home}`);
      return differences.length === 0 ? { resource: id, action: 'same', reason: 'exists with the right groups and no login shell' } : { resource: id, action: 'update', reason: differences.join(', ') };
    },
    async apply(connection, change) {
      const ensureGroup = `getent group ${shellQuote(spec.group)} >/dev/null || ${shellCommand('groupadd', '--system', '--', spec.group)}`;
      const supplementary = spec.groups.length ? ['--groups', spec.groups.join(',')] : [];
      const home = spec.home ? ['--home-dir', spec.home, '--create-home'] : ['--home-dir', NO_HOME, '--no-create-home'];
      const command =
        change.action === 'create'
          ? shellCommand('useradd', '--system', '--gid', spec.group, ...supplementary, ...home, '--shell', NOLOGIN, '--', spec.name)
          : shellCommand('usermod', '--gid', spec.group, ...(spec.groups.length ? ['--append', '--groups', spec.groups.join(',')] : []), ...(spec.home ? ['--home', spec.home] : []), '--shell', NOLOGIN, '--', spec.name);
      const homeMode = spec.home ? ` && ${shellCommand('chmod', '0750', spec.home)}` : '';
      await connection.execChecked(id, `${ensureGroup} && ${command}${change.action === 'create' ? homeMode : ''}`, { sudo: true });
    },
  };
}
