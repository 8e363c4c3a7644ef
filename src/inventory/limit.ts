import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.ts';
import { globToRegExp } from '../glob.ts';

interface Selectable {
  name: string;
  groups: string[];
}

/**
 * Selects hosts by `--limit`: comma-separated host names, group names or globs (`web*`);
 * a leading `!` excludes; `@FILE` stands for the host names listed in FILE, one a line (a retry file).
 * A pattern that matches nothing is an error, not a silent no-op.
 */
export function applyLimit<T extends Selectable>(hosts: readonly T[], limit: string | undefined): T[] {
  if (!limit) return [...hosts];
  const selectors = limit.split(',').map((pattern) => pattern.trim()).filter(Boolean).flatMap((pattern) => toSelectors(pattern, hosts));
  const includes = selectors.filter((selector) => !selector.exclude);
  const excludes = selectors.filter((selector) => selector.exclude);
  for (const selector of selectors) {
    if (!hosts.some((host) => selector.matches(host))) {
      throw new UsageError(`--limit: "${selector.pattern}" matches no host or group in the inventory`);
    }
  }
  return hosts.filter((host) => (includes.length === 0 || includes.some((selector) => selector.matches(host))) && !excludes.some((selector) => selector.matches(host)));
}

interface Selector {
  pattern: string;
  exclude: boolean;
  matches(host: Selectable): boolean;
}

/** One comma-separated part of --limit; `@FILE` (or `!@FILE`) becomes one exact-name selector per host the file lists. */
function toSelectors(pattern: string, hosts: readonly Selectable[]): Selector[] {
  const exclude = pattern.startsWith('!');
  const body = exclude ? pattern.slice(1) : pattern;
  if (!body.startsWith('@')) {
    const regex = globToRegExp(body);
    return [{ pattern: body, exclude, matches: (host) => regex.test(host.name) || host.groups.some((group) => regex.test(group)) }];
  }
  return readHostFile(body.slice(1), hosts).map((name) => ({ pattern: name, exclude, matches: (host) => host.name === name }));
}

/** The host names a retry file lists, one a line (# comments allowed); each must be a host of the inventory. */
function readHostFile(file: string, hosts: readonly Selectable[]): string[] {
  if (!file) throw new UsageError('--limit @: name a file after the @, for example --limit @inventory.retry');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--limit @${file}: cannot read the file: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  const names: string[] = [];
  text.split('\n').forEach((line, index) => {
    const name = line.trim();
    if (!name || name.startsWith('#')) return;
    if (!hosts.some((host) => host.name === name)) {
      throw new UsageError(`${file}:${index + 1}:${line.indexOf(name) + 1}: "${name}" is not a host of the inventory; remove the line or add the host`);
    }
    names.push(name);
  });
  if (names.length === 0) throw new UsageError(`--limit @${file}: the file names no hosts`);
  return names;
}
