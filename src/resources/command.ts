import { shellArgv, shellQuote } from '../connection/quote.ts';
import type { Change, Facts, FactRequest, Notify, Resource } from './types.ts';

export interface CommandSpec {
  /** A program and its arguments (each one word on the host), or a script for /bin/sh -c. */
  run: { argv: string[] } | { shell: string };
  /** Skip when this path exists. */
  creates?: string;
  /** Skip when this shell test exits 0; read-only by contract, as it runs with the facts, in check mode too. */
  unless?: string;
  chdir?: string;
  /** As root (every task's default) or as the login user. */
  become: boolean;
  /** Who `unless` runs as when become is false (the facts round trip runs as root). */
  loginUser: string;
  timeoutSeconds: number;
  /** The recap's name: the task's name, or the command as the playbook wrote it (a rendered value may be a secret). */
  name?: string;
  tags?: string[];
  notify?: Notify[];
}

const UNLESS_EXIT = 'unless-exit:';

/**
 * An operator's command, kept idempotent by its guards (Ansible's `creates:`, Puppet's `unless`): it
 * runs when no guard says it is done. Without a guard it runs on every apply and reports a change, and
 * check mode says it would run, as Ansible's does (lib/ansible/modules/command.py: `changed` whenever it
 * runs, "Command would have run if not in check mode"). Check mode runs the guards only.
 */
export function commandResource(spec: CommandSpec): Resource {
  const id = `command ${spec.name ?? commandSummary(spec.run)}`;
  const createsKey = `path-exists:${spec.creates}`;
  const unlessKey = `unless:${spec.become ? 'root' : spec.loginUser}:${spec.chdir ?? ''}:${spec.unless}`;
  let ran = false;
  return {
    id,
    tags: spec.tags ?? [],
    notify: spec.notify,
    facts(): FactRequest[] {
      const requests: FactRequest[] = [];
      if (spec.creates) {
        const path = shellQuote(spec.creates);
        requests.push({ key: createsKey, command: `if [ -e ${path} ] || [ -L ${path} ]; then echo present; else echo absent; fi`, sharesShell: true });
      }
      if (spec.unless) {
        // The test's own output stays in the round trip's output (-vvv); its exit status is the last line.
        const test = `sh -c ${shellQuote(inDirectory(spec.chdir, spec.unless))} </dev/null`;
        requests.push({ key: unlessKey, command: `${spec.become ? test : asUser(spec.loginUser, test)}; printf '\\n%s%s\\n' ${UNLESS_EXIT} "$?"` });
      }
      return requests;
    },
    plan(facts): Change {
      const done = guardsSayDone(spec, facts, createsKey, unlessKey);
      if (done) return { resource: id, action: 'same', reason: done };
      const why = whyRun(spec, facts, unlessKey);
      if (ran) {
        // Re-read after apply: a guard that still says "run" would make every apply run it again.
        if (!spec.creates && !spec.unless) return { resource: id, action: 'same', reason: 'ran in this run (no creates: or unless: to check)' };
        return { resource: id, action: 'update', reason: `ran, but ${why}: fix the command or its guard` };
      }
      return { resource: id, action: spec.creates ? 'create' : 'update', reason: `would run: ${why}` };
    },
    async apply(connection, change) {
      const run = 'argv' in spec.run ? shellArgv(spec.run.argv) : `/bin/sh -c ${shellQuote(spec.run.shell)}`;
      const command = `( ${spec.chdir ? `cd ${shellQuote(spec.chdir)} && ` : ''}${run} ) </dev/null`;
      // Its output reaches -vvv and --log through the connection's trace, masked like everything else.
      await connection.execChecked(id, command, { sudo: spec.become, timeoutMs: spec.timeoutSeconds * 1000 });
      ran = true;
      change.reason = change.reason.replace(/^would run/, 'ran');
    },
  };
}

/** Why the command is done already (a guard holds), or undefined. */
function guardsSayDone(spec: CommandSpec, facts: Facts, createsKey: string, unlessKey: string): string | undefined {
  if (spec.creates && (facts.raw.get(createsKey) ?? '').trim() === 'present') return `${spec.creates} exists (creates)`;
  if (spec.unless && unlessExit(facts.raw.get(unlessKey)) === 0) return 'the unless test exited 0';
  return undefined;
}

function whyRun(spec: CommandSpec, facts: Facts, unlessKey: string): string {
  if (!spec.creates && !spec.unless) return 'no creates: or unless:, so it runs on every apply';
  const reasons: string[] = [];
  if (spec.creates) reasons.push(`${spec.creates} does not exist`);
  if (spec.unless) reasons.push(`the unless test exited ${unlessExit(facts.raw.get(unlessKey)) ?? '(no answer)'}`);
  return reasons.join(' and ');
}

/** The exit status printed on the output's last line (the test cannot print after it). */
export function unlessExit(output: string | undefined): number | undefined {
  const last = (output ?? '').trimEnd().split('\n').pop() ?? '';
  return last.startsWith(UNLESS_EXIT) ? Number(last.slice(UNLESS_EXIT.length)) : undefined;
}

function inDirectory(chdir: string | undefined, script: string): string {
  return chdir ? `cd ${shellQuote(chdir)} || exit 1\n${script}` : script;
}

/**
 * Runs a command as the login user from the root shell of the facts round trip. runuser (util-linux)
 * opens no PAM session, which su on Debian does (and pam_systemd can hang it); busybox hosts have su.
 */
function asUser(user: string, command: string): string {
  const u = shellQuote(user);
  const c = shellQuote(command);
  return `if [ "$(id -un)" = ${u} ]; then sh -c ${c}; elif command -v runuser >/dev/null 2>&1; then runuser -u ${u} -- sh -c ${c}; else su -s /bin/sh -c ${c} ${u}; fi`;
}

/** The recap's name for a command without a task name: its first line, shortened. */
export function commandSummary(run: CommandSpec['run']): string {
  const text = 'argv' in run ? run.argv.join(' ') : run.shell;
  const line = text.split('\n')[0]!.trim();
  return line.length > 60 || text.includes('\n') ? `${line.slice(0, 57)}...` : line;
}
