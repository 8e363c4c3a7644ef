import { shellQuote } from '../connection/quote.ts';
import type { Change, Resource } from './types.ts';

/**
 * A command fleet needs on the host (sudo; curl or wget for the endpoint checks), installed with the
 * host's package manager only when none of `commands` is there.
 */
export function requiredCommandResource(spec: { commands: string[]; package: string; tags?: string[] }): Resource {
  const id = `package ${spec.package}`;
  const key = `command:${spec.commands.join('|')}`;
  const described = spec.commands.join(' or ');
  const install = [
    'if command -v apt-get >/dev/null; then DEBIAN_FRONTEND=noninteractive apt-get install -y -q',
    'elif command -v dnf >/dev/null; then dnf install -y -q',
    'elif command -v yum >/dev/null; then yum install -y -q',
    'elif command -v apk >/dev/null; then apk add -q',
    'elif command -v zypper >/dev/null; then zypper -n -q install',
    'else echo "no known package manager to install it with" >&2; false',
  ];
  return {
    id,
    tags: spec.tags ?? [],
    facts: () => [{ key, command: `${spec.commands.map((command) => `command -v ${shellQuote(command)} >/dev/null`).join(' || ')} && echo present || echo absent`, sharesShell: true }],
    plan(facts): Change {
      return (facts.raw.get(key) ?? '').trim() === 'present'
        ? { resource: id, action: 'same', reason: `${described} is installed` }
        : { resource: id, action: 'create', reason: `${described} is missing: install ${spec.package}` };
    },
    async apply(connection) {
      const pkg = shellQuote(spec.package);
      const script = `${install.map((line, index) => (index < install.length - 1 ? `${line} ${pkg}` : line)).join('\n')}\nfi`;
      await connection.execChecked(`install ${spec.package}`, script, { sudo: true, timeoutMs: 600_000 });
    },
  };
}
