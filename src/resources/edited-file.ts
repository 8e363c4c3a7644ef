import { HostError } from '../connection/errors.ts';
import { fileContentCommand, parsePathState, pathStateFact } from '../facts/path-state.ts';
import { fileResource } from './file.ts';
import type { Change, Facts, Resource } from './types.ts';

export interface EditedFileSpec {
  path: string;
  /** The wanted content, derived from the current one (empty when the file is missing). */
  edit(current: string): string;
  /** As for files: a command that must accept the candidate (`%s`) before it replaces the live file. */
  validate?: string;
  /** Mode and owner of the file when fleet creates it (an existing file keeps its own). */
  create?: { mode: string; owner: string; group: string };
  tags?: string[];
}

/**
 * A file fleet shares with the operator: fleet changes only its own part (see `edit`), keeps the
 * file's mode and owner, and writes it like any file (validated, atomically) when its part differs.
 */
export function editedFileResource(spec: EditedFileSpec): Resource {
  const id = `file ${spec.path}`;
  /** The whole file fleet wants, derived from the facts: the current text with fleet's part edited. */
  const wanted = (facts: Facts) => {
    const state = parsePathState(facts.raw.get(`path:${spec.path}`) ?? '');
    const current = facts.raw.get(`content:${spec.path}`) ?? '';
    let content: string;
    try {
      content = spec.edit(current);
    } catch (error) {
      throw new HostError('command', `${spec.path}: ${(error as Error).message}; fix the file by hand, fleet will not overwrite it`);
    }
    const fresh = spec.create ?? { mode: '0644', owner: 'root', group: 'root' };
    const file = fileResource({ path: spec.path, content, mode: state.mode ?? fresh.mode, owner: state.owner ?? fresh.owner, group: state.group ?? fresh.group, validate: spec.validate });
    return { file, current, content };
  };
  return {
    id,
    tags: spec.tags ?? [],
    facts: () => [
      pathStateFact(`path:${spec.path}`, spec.path),
      { key: `content:${spec.path}`, command: fileContentCommand(spec.path) },
    ],
    plan(facts): Change {
      const { file, current, content } = wanted(facts);
      const change = file.plan(facts) as Change;
      return change.action === 'same' ? change : { ...change, diff: { before: current, after: content } };
    },
    async apply(connection, change, facts) {
      await wanted(facts).file.apply(connection, change, facts);
    },
  };
}
