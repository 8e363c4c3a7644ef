import { UsageError } from '../errors.ts';
import { globToRegExp } from '../glob.ts';

interface Selectable {
  name: string;
  groups: string[];
}

/**
 * Selects hosts by `--limit`: comma-separated host names, group names or globs (`web*`);
 * a leading `!` excludes. A pattern that matches nothing is an error, not a silent no-op.
 */
export function applyLimit<T extends Selectable>(hosts: readonly T[], limit: string | undefined): T[] {
  if (!limit) return [...hosts];
  const patterns = limit.split(',').map((pattern) => pattern.trim()).filter(Boolean);
  const includes = patterns.filter((pattern) => !pattern.startsWith('!'));
  const excludes = patterns.filter((pattern) => pattern.startsWith('!')).map((pattern) => pattern.slice(1));
  for (const pattern of [...includes, ...excludes]) {
    if (!hosts.some((host) => matches(host, pattern))) {
      throw new UsageError(`--limit: "${pattern}" matches no host or group in the inventory`);
    }
  }
  return hosts.filter(
    (host) => (includes.length === 0 || includes.some((pattern) => matches(host, pattern))) && !excludes.some((pattern) => matches(host, pattern)),
  );
}

function matches(host: Selectable, pattern: string): boolean {
  const regex = globToRegExp(pattern);
  return regex.test(host.name) || host.groups.some((group) => regex.test(group));
}
