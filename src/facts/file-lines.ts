import { HostError } from '../connection/errors.ts';
import { shellQuote } from '../connection/quote.ts';
import type { FactReader, FactRequest } from '../resources/types.ts';

/** The reader's last line, printed once awk read every file: no file's line has this shape. */
const READ_ALL = 'read-all';

/**
 * Small text files the facts round trip reads (fleet's own records, login.defs, the firewall's saved
 * rules), all with one awk: what a round trip costs a host is mostly starting programs, and a `cat` or
 * a `grep` for each file started one each. The files are read with getline in BEGIN, so a missing
 * file is only a failed read (awk stops at a file operand it cannot open). Every line comes back
 * behind its file's number, so no file's content can pass for another's. Lines, not bytes: whether
 * the last line ended with a newline is lost, so this is not for content compared byte for byte.
 */
const FILE_LINES_READER: FactReader = {
  name: 'file-lines',
  command(args) {
    // Only regular files reach awk: mawk ends the whole program at a read error, which a directory is.
    const operands = args.map((arg, index) => {
      const { path, matching } = decodeArg(arg);
      return `[ -f ${shellQuote(path)} ] && set -- "$@" ${index} ${shellQuote(path)} ${shellQuote(matching)}`;
    });
    const program = [
      'BEGIN {',
      '  for (i = 1; i + 2 < ARGC; i += 3) {',
      '    while ((got = (getline line < ARGV[i + 1])) > 0) if (ARGV[i + 2] == "" || line ~ ARGV[i + 2]) print ARGV[i] ":" line',
      '    if (got == 0) print ARGV[i] "."',
      '    close(ARGV[i + 1])',
      '  }',
      '}',
    ].join('\n');
    return ['set --', ...operands, `{ [ $# -eq 0 ] || awk ${shellQuote(program)} "$@"; } && echo ${READ_ALL}`].join('\n');
  },
  split(output, args) {
    // Without awk (or when it stopped halfway) every file would read as missing: ufw as not enabled,
    // fleet's record as empty. That host fails, saying why, instead of being planned on a wrong reading.
    const outputLines = output.split('\n');
    if (!outputLines.includes(READ_ALL)) {
      throw new HostError('command', `gather facts: awk did not read the small files (fleet needs awk on the host): ${output.trim().split('\n').slice(-3).join(' ') || 'no output'}`);
    }
    const found = args.map((): string[] | undefined => undefined);
    const lines = args.map((): string[] => []);
    for (const line of outputLines) {
      const match = /^(\d+)([:.])(.*)$/s.exec(line);
      if (!match) continue;
      const index = Number(match[1]);
      if (!(index in lines)) continue;
      if (match[2] === '.') found[index] = lines[index];
      else lines[index]!.push(match[3]!);
    }
    return found.map((kept) => fileLinesAnswer(kept?.map((line) => `${line}\n`).join('')));
  },
};

const encodeArg = (path: string, matching: string) => JSON.stringify([path, matching]);

function decodeArg(arg: string): { path: string; matching: string } {
  const [path, matching] = JSON.parse(arg) as [string, string];
  return { path, matching };
}

/**
 * The request for a file's lines, all of them or those matching `matching` (an extended regular
 * expression, as awk reads it). The path must be absolute: awk reads "-" as its standard input.
 */
export function fileLinesFact(key: string, path: string, options: { matching?: string } = {}): FactRequest {
  if (!path.startsWith('/') || path.includes('\n')) throw new Error(`fileLinesFact needs an absolute path on one line, not ${JSON.stringify(path)}`);
  return { key, reader: FILE_LINES_READER, arg: encodeArg(path, options.matching ?? '') };
}

export interface FileLines {
  exists: boolean;
  /** The lines read (those matching, when asked for), each ending with a newline; empty when the file is missing. */
  text: string;
}

/** The answer to a fileLinesFact: `missing`, or `present` and the lines read (`text`, its lines each ending with a newline). */
export function fileLinesAnswer(text: string | undefined): string {
  return text === undefined ? 'missing\n' : `present\n${text}`;
}

/** A fileLinesFact answer as read from the facts. */
export function parseFileLines(answer: string | undefined): FileLines {
  const raw = answer ?? '';
  if (!raw.startsWith('present\n')) return { exists: false, text: '' };
  return { exists: true, text: raw.slice('present\n'.length) };
}
