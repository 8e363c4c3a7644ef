import { shellCommand, shellQuote } from '../connection/quote.ts';
import type { Change, Resource } from './types.ts';

/** A person's (or automation's) login account with a home and a shell; an existing account is left as it is. */
export function loginUserResource(spec: { name: string; home: string; tags?: string[] }): Resource {
  const id = `user ${spec.name}`;
  const key = `login-user:${spec.name}`;
  return {
    id,
    tags: spec.tags ?? [],
    facts: () => [{ key, command: `getent passwd ${shellQuote(spec.name)} >/dev/null && echo present || echo absent`, sharesShell: true }],
    plan(facts): Change {
      return (facts.raw.get(key) ?? '').trim() === 'present'
        ? { resource: id, action: 'same', reason: 'exists' }
        : { resource: id, action: 'create', reason: `new login user with home ${spec.home} and /bin/bash` };
    },
    async apply(connection) {
      await connection.execChecked(id, shellCommand('useradd', '--create-home', '--home-dir', spec.home, '--shell', '/bin/bash', '--', spec.name), { sudo: true });
    },
  };
}
