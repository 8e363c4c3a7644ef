import { HostError } from '../connection/errors.ts';
import { shellCommand } from '../connection/quote.ts';
import { parsePathState, pathStateFact } from '../facts/path-state.ts';
import type { Resource } from './types.ts';

export interface DirectorySpec {
  path: string;
  mode: string;
  owner: string;
  group: string;
  tags?: string[];
}

export function directoryResource(spec: DirectorySpec): Resource {
  const id = `directory ${spec.path}`;
  return {
    id,
    tags: spec.tags ?? [],
    facts: () => [pathStateFact(`path:${spec.path}`, spec.path)],
    plan(facts) {
      const state = parsePathState(facts.raw.get(`path:${spec.path}`) ?? '');
      if (!state.exists) return { resource: id, action: 'create', reason: `new directory, mode ${spec.mode}, ${spec.owner}:${spec.group}` };
      if (state.type !== 'directory') return { resource: id, action: 'update', reason: `${spec.path} exists but is a ${state.type}; fleet will not replace it` };
      const differences: string[] = [];
      if (state.mode !== spec.mode) differences.push(`mode ${state.mode} -> ${spec.mode}`);
      if (state.owner !== spec.owner || state.group !== spec.group) differences.push(`owner ${state.owner}:${state.group} -> ${spec.owner}:${spec.group}`);
      return differences.length === 0
        ? { resource: id, action: 'same', reason: 'exists with the right mode and owner' }
        : { resource: id, action: 'update', reason: differences.join(', ') };
    },
    async apply(connection, change) {
      if (change.reason.includes('fleet will not replace it')) throw new HostError('command', change.reason);
      await connection.execChecked(
        `directory ${spec.path}`,
        `${shellCommand('mkdir', '-p', spec.path)} && ${shellCommand('chmod', spec.mode, spec.path)} && ${shellCommand('chown', `${spec.owner}:${spec.group}`, spec.path)}`,
        { sudo: true },
      );
    },
  };
}
