import { shellQuote } from '../connection/quote.ts';

export interface PathState {
  exists: boolean;
  type?: 'file' | 'directory' | 'other';
  mode?: string;
  owner?: string;
  group?: string;
  sha256?: string;
}

/** One line: `absent`, or `type|mode|owner|group|sha256` (sha256 empty for non-files). */
export function pathStateCommand(path: string): string {
  const p = shellQuote(path);
  return `if [ -e ${p} ] || [ -L ${p} ]; then printf '%s|%s\\n' "$(stat -c '%F|%a|%U|%G' ${p})" "$( [ -f ${p} ] && sha256sum ${p} | cut -d' ' -f1)"; else echo absent; fi`;
}

export function parsePathState(output: string): PathState {
  const line = output.trim();
  if (line === 'absent' || line === '') return { exists: false };
  const [type = '', mode = '', owner, group, sha256] = line.split('|');
  return {
    exists: true,
    type: type === 'regular file' || type === 'regular empty file' ? 'file' : type === 'directory' ? 'directory' : 'other',
    mode: mode.padStart(4, '0'),
    owner,
    group,
    sha256: sha256 || undefined,
  };
}
