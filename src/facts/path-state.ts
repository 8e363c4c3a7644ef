import { shellQuote } from '../connection/quote.ts';

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

/** One line: `absent`, or `type|mode|owner|group|sha256|dir` (sha256 empty for non-files; dir when it is or leads to a directory). */
export function pathStateCommand(path: string): string {
  const p = shellQuote(path);
  return `if [ -e ${p} ] || [ -L ${p} ]; then printf '%s|%s|%s\\n' "$(stat -c '%F|%a|%U|%G' ${p})" "$( [ -f ${p} ] && sha256sum ${p} | cut -d' ' -f1)" "$( [ -d ${p} ] && echo dir)"; else echo absent; fi`;
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
