import { shellQuote } from '../connection/quote.ts';
import type { FactReader, FactRequest } from '../resources/types.ts';

export interface PathState {
  exists: boolean;
  type?: 'file' | 'directory' | 'other';
  mode?: string;
  owner?: string;
  group?: string;
  sha256?: string;
  /** A directory, or a symbolic link to one: writing a file "to" it would put the file inside it. */
  isDirectory?: boolean;
}

/**
 * One line: `absent`, or `type|mode|owner|group|sha256|dir` (sha256 empty for non-files; dir when it is or leads to a directory).
 * The file is hashed from stdin: sha256sum escapes a name holding a backslash and marks its line with one.
 */
export function pathStateCommand(path: string): string {
  const p = shellQuote(path);
  return `if [ -e ${p} ] || [ -L ${p} ]; then printf '%s|%s|%s\\n' "$(stat -c '%F|%a|%U|%G' ${p})" "$( [ -f ${p} ] && sha256sum < ${p} | cut -d' ' -f1)" "$( [ -d ${p} ] && echo dir)"; else echo absent; fi`;
}

/**
 * The state of every path of a round trip from one `stat` and one `sha256sum`, each answer as
 * pathStateCommand prints it (that command forked about six times for each path).
 */
const PATH_STATE_READER: FactReader = {
  name: 'path-state',
  command(paths) {
    const list = paths.map(shellQuote).join(' ');
    return [
      `set -- ${list}`,
      `stat -c '%F|%a|%U|%G|%n' -- "$@" 2>/dev/null`,
      'echo "-- hashes"',
      // Keeps the regular files (links to them too) in "$@": the loop walks the list it started with.
      'for p; do shift; [ -f "$p" ] && set -- "$@" "$p"; done',
      '[ $# -eq 0 ] || sha256sum -- "$@" 2>/dev/null',
      'echo "-- directories"',
      `for p in ${list}; do [ -d "$p" ] && printf '%s\\n' "$p"; done`,
      'true',
    ].join('\n');
  },
  split(output, paths) {
    // Split at whole lines only: with the m flag, a \r or U+2028 in a name would start a "line" too.
    const [statLines = '', hashLines = '', directoryLines = ''] = `\n${output}`.split(/\n-- (?:hashes|directories)(?=\n|$)/);
    const stats = new Map<string, string>();
    for (const line of statLines.split('\n')) {
      const fields = line.split('|');
      if (fields.length >= 5) stats.set(fields.slice(4).join('|'), fields.slice(0, 4).join('|'));
    }
    const hashes = new Map<string, string>();
    for (const line of hashLines.split('\n')) {
      // sha256sum marks a name it escaped with a leading backslash: a backslash as \\ and (coreutils
      // 9.1, at least) a carriage return as \r; a newline as \n, though such a name never comes here.
      // dotAll: a name holding \r (BusyBox leaves it raw) or U+2028 is still one line here.
      const match = /^(\\?)([0-9a-f]{64}) [ *](.*)$/s.exec(line);
      if (match) hashes.set(match[1] ? unescapeName(match[3]!) : match[3]!, match[2]!);
    }
    const directories = new Set(directoryLines.split('\n'));
    return paths.map((path) => {
      const stat = stats.get(path);
      return stat === undefined ? 'absent\n' : `${stat}|${hashes.get(path) ?? ''}|${directories.has(path) ? 'dir' : ''}\n`;
    });
  },
};

const unescapeName = (name: string) => name.replace(/\\([\\nr])/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : '\\'));

/** The request for a path's state; a name with a newline (which one-per-line output cannot carry) gets a command of its own. */
export function pathStateFact(key: string, path: string): FactRequest {
  return path.includes('\n') ? { key, command: pathStateCommand(path) } : { key, reader: PATH_STATE_READER, arg: path };
}

/** A file's content, or nothing when there is none: an absent file (a pending record, mostly) starts no program. */
export function fileContentCommand(path: string): string {
  const p = shellQuote(path);
  return `if [ -e ${p} ]; then cat ${p} 2>/dev/null || true; fi`;
}

/** Why a file cannot be written at this path, or undefined: fleet never moves a file into a directory that stands where the file should be. */
export function refusedDestination(path: string, state: PathState): string | undefined {
  if (!state.isDirectory) return undefined;
  return `${path} is ${state.type === 'directory' ? 'a directory' : 'a symbolic link to a directory'}; refusing to put a file there (remove it, or choose another path)`;
}

export function parsePathState(output: string): PathState {
  const line = output.trim();
  if (line === 'absent' || line === '') return { exists: false };
  const [type = '', mode = '', owner, group, sha256, dir] = line.split('|');
  return {
    exists: true,
    type: type === 'regular file' || type === 'regular empty file' ? 'file' : type === 'directory' ? 'directory' : 'other',
    mode: mode.padStart(4, '0'),
    owner,
    group,
    sha256: sha256 || undefined,
    isDirectory: dir === 'dir',
  };
}
