import { shellQuote } from '../connection/quote.ts';
import { parsePathState, type PathState } from './path-state.ts';

/**
 * Large binaries are hashed only when they may have changed. At install fleet records the file's
 * identity (path, size, mtime, ctime, inode: a replaced or rewritten file changes ctime or inode, and
 * neither can be set back from user space) with its sha256; while the identity matches, the recorded
 * hash stands. The round trip's shell variable `fleet_verify_hashes` forces the full hash.
 */
export const IDENTITY_FORMAT = '%n|%s|%y|%z|%i';

export const VERIFY_HASHES_PREAMBLE = 'fleet_verify_hashes=1';

export interface BinaryState extends PathState {
  /** How the sha256 was obtained: read from fleet's record, or hashed now. */
  hashedFrom?: 'record' | 'content';
  /** The identity line stat printed (for refreshing a stale record). */
  identity?: string;
}

/**
 * One line: `absent`, or `type|mode|owner|group|sha256|record-or-content-or-dir|identity`. One `stat`
 * prints both the state and the identity, and the shell reads the record itself, so a binary whose
 * record matches starts one program.
 */
export function binaryStateCommand(path: string, record: string): string {
  const p = shellQuote(path);
  const r = shellQuote(record);
  return [
    `if [ -e ${p} ] || [ -L ${p} ]; then`,
    `  sum=; how=; id=; rec=;`,
    `  st=$(stat -c ${shellQuote(`%F|%a|%U|%G|${IDENTITY_FORMAT}`)} ${p})`,
    `  if [ -f ${p} ]; then`,
    // The identity is what follows the fourth "|" (type, mode, owner and group hold none).
    `    id=\${st#*|*|*|*|}; IFS= read -r rec 2>/dev/null <${r} || true`,
    `    if [ -z "\${fleet_verify_hashes:-}" ] && [ -n "$rec" ] && [ "\${rec% *}" = "$id" ]; then sum=\${rec##* }; how=record;`,
    `    else sum=$(sha256sum < ${p} | cut -d' ' -f1); how=content; fi`,
    `  fi`,
    // A directory (or a link to one) where the binary should be: refused by the plan, never written into.
    `  [ -d ${p} ] && how=dir`,
    `  printf '%s|%s|%s|%s\\n' "\${st%%"|\${st#*|*|*|*|}"}" "$sum" "$how" "$id"`,
    `else echo absent; fi`,
  ].join('\n');
}

export function parseBinaryState(output: string): BinaryState {
  const line = output.trim();
  const fields = line.split('|');
  const state: BinaryState = parsePathState(fields.slice(0, 5).join('|'));
  if (!state.exists) return state;
  const how = fields[5];
  if (how === 'record' || how === 'content') state.hashedFrom = how;
  if (how === 'dir') state.isDirectory = true;
  const identity = fields.slice(6).join('|');
  if (identity) state.identity = identity;
  return state;
}

/** Writes the record atomically: the identity as stat prints it now (or as given), then the hash. */
export function writeRecordCommand(path: string, record: string, sha256Word: string, identity?: string): string {
  const r = shellQuote(record);
  const dir = shellQuote(record.slice(0, record.lastIndexOf('/')));
  const id = identity === undefined ? `"$(stat -c ${shellQuote(IDENTITY_FORMAT)} ${shellQuote(path)})"` : shellQuote(identity);
  return `mkdir -p ${dir} && rt=$(mktemp ${dir}/.record-XXXXXX) && printf '%s %s\\n' ${id} ${sha256Word} > "$rt" && mv -f "$rt" ${r}`;
}
