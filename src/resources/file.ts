import { createHash, randomBytes } from 'node:crypto';
import { dirname, basename } from 'node:path';
import { shellCommand, shellQuote } from '../connection/quote.ts';
import type { Connection } from '../connection/ssh.ts';
import { HostError } from '../connection/errors.ts';
import { fileContentCommand, parsePathState, pathStateFact, refusedDestination } from '../facts/path-state.ts';
import { holdsFreshHash, keepMatchingHashes } from '../templates/bcrypt-hashes.ts';
import type { Change, FactRequest, Facts, Notify, Resource } from './types.ts';

export interface FileSpec {
  path: string;
  content: string;
  mode: string;
  owner: string;
  group: string;
  /** Keep the content out of diffs and reports (it holds a password hash or a token). */
  sensitive?: boolean;
  /** A command that must accept the new file before it goes live; `%s` is its staged path (as in Ansible). */
  validate?: string;
  tags?: string[];
  notify?: Notify[];
}

const HIDDEN = '(sensitive content hidden)\n';

/** A file with exact content and metadata, written atomically: temporary file in the same folder, then rename. */
export function fileResource(spec: FileSpec): Resource {
  const id = `file ${spec.path}`;
  // A password hash rendered with a fresh salt: the host's current hash is kept while it still matches.
  const keepsHashes = holdsFreshHash(spec.content);
  const contentFor = (facts: Facts) => (keepsHashes ? keepMatchingHashes(spec.content, facts.raw.get(`content:${spec.path}`) ?? '') : spec.content);
  return {
    id,
    tags: spec.tags ?? [],
    notify: spec.notify,
    facts: (): FactRequest[] => [
      pathStateFact(`path:${spec.path}`, spec.path),
      ...(keepsHashes ? [{ key: `content:${spec.path}`, command: fileContentCommand(spec.path) }] : []),
    ],
    plan(facts) {
      const state = parsePathState(facts.raw.get(`path:${spec.path}`) ?? '');
      const refused = refusedDestination(spec.path, state);
      if (refused) throw new HostError('command', refused);
      const content = contentFor(facts);
      const digest = createHash('sha256').update(content).digest('hex');
      const after = spec.sensitive ? HIDDEN : content;
      if (!state.exists) return { resource: id, action: 'create', reason: `new file, mode ${spec.mode}, ${spec.owner}:${spec.group}`, diff: { before: '', after } };
      if (state.type !== 'file') return { resource: id, action: 'update', reason: `replaces a ${state.type} with a file`, diff: { before: '', after } };
      const differences: string[] = [];
      if (state.sha256 !== digest) differences.push('content differs');
      if (state.mode !== spec.mode) differences.push(`mode ${state.mode} -> ${spec.mode}`);
      if (state.owner !== spec.owner || state.group !== spec.group) differences.push(`owner ${state.owner}:${state.group} -> ${spec.owner}:${spec.group}`);
      if (differences.length === 0) return { resource: id, action: 'same', reason: 'content, mode and owner match' };
      return { resource: id, action: 'update', reason: differences.join(', '), diff: state.sha256 !== digest ? { before: '', after } : undefined };
    },
    async readBefore(connection, change) {
      if (change.action !== 'update' || !change.diff) return;
      change.diff.before = spec.sensitive ? HIDDEN : await connection.execChecked(`read ${spec.path}`, shellCommand('cat', spec.path), { sudo: true });
    },
    async apply(connection, change, facts) {
      // The plan carries a diff exactly when the content must be written (new, replaced or different).
      if (change.diff) {
        await writeAtomically(connection, { ...spec, content: contentFor(facts) });
      } else {
        await connection.execChecked(
          `set mode and owner of ${spec.path}`,
          `${shellCommand('chmod', spec.mode, spec.path)} && ${shellCommand('chown', `${spec.owner}:${spec.group}`, spec.path)}`,
          { sudo: true },
        );
      }
    },
  };
}

/**
 * Uploads to a private temporary file, then installs it next to the destination and renames it into
 * place. A dropped connection leaves either the old file or the new one, never half of it.
 */
export async function writeAtomically(connection: Connection, spec: Pick<FileSpec, 'path' | 'content' | 'mode' | 'owner' | 'group' | 'validate'>, steps: { before?: string; after?: string } = {}): Promise<void> {
  const suffix = randomBytes(6).toString('hex');
  const upload = `/tmp/.fleet-upload-${suffix}`;
  const staged = `${dirname(spec.path)}/.${basename(spec.path)}.fleet-${suffix}`;
  await connection.upload(spec.content, upload, 0o600);
  const script = [
    `trap ${shellQuote(`rm -f ${shellQuote(upload)} ${shellQuote(staged)}`)} EXIT`,
    ...(steps.before ? [steps.before] : []),
    shellCommand('install', '-m', spec.mode, '-o', spec.owner, '-g', spec.group, upload, staged),
    // Checked again here: a directory that appeared since the facts were read would swallow the file.
    `{ [ ! -d ${shellQuote(spec.path)} ] || { echo ${shellQuote(`${spec.path} is a directory (or a symbolic link to one); refusing to put a file there`)} >&2; exit 1; }; }`,
    ...(spec.validate ? [`( ${spec.validate.replaceAll('%s', shellQuote(staged))} ) >&2 || { echo ${shellQuote(`${spec.path}: the new content was refused by: ${spec.validate.replaceAll('%s', '(new file)')}; the old file stays in place`)} >&2; exit 1; }`] : []),
    shellCommand('mv', '-f', staged, spec.path),
    ...(steps.after ? [steps.after] : []),
  ].join(' && ');
  await connection.execChecked(`write ${spec.path}`, script, { sudo: true });
}

/** A file that must not exist (a secret no longer needed); removed when present. */
export function absentFileResource(spec: { path: string; tags?: string[] }): Resource {
  const id = `file ${spec.path}`;
  return {
    id,
    tags: spec.tags ?? [],
    facts: () => [pathStateFact(`path:${spec.path}`, spec.path)],
    plan(facts): Change {
      const state = parsePathState(facts.raw.get(`path:${spec.path}`) ?? '');
      return state.exists ? { resource: id, action: 'delete', reason: 'no longer needed' } : { resource: id, action: 'same', reason: 'absent' };
    },
    async apply(connection) {
      await connection.execChecked(`remove ${spec.path}`, shellCommand('rm', '-f', spec.path), { sudo: true });
    },
  };
}
