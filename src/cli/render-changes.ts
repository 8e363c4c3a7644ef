import { createTwoFilesPatch } from 'diff';
import type { Change } from '../resources/types.ts';
import { color } from './colors.ts';
import { maskCredentials } from './output-diffs.ts';

const ACTION_COLOR = { create: color.green, update: color.yellow, delete: color.red, same: color.dim, skip: color.dim } as const;

/** One line per change that does something, and with `diff` a coloured unified diff under each file change. */
export function renderChanges(host: string, changes: readonly Change[], diff: boolean): string {
  const lines: string[] = [];
  for (const change of changes) {
    if (change.action === 'same' || change.action === 'skip') continue;
    lines.push(`${host}: ${ACTION_COLOR[change.action](change.action)} ${change.resource} (${change.reason})`);
    if (diff && change.diff) lines.push(colorPatch(unifiedDiff(change.resource.replace(/^\w+ /, ''), change.diff.before, change.diff.after)));
  }
  return lines.join('\n');
}

export function unifiedDiff(path: string, before: string, after: string): string {
  return createTwoFilesPatch(`${path} (host)`, `${path} (fleet)`, maskCredentials(before), maskCredentials(after), '', '', { context: 3 })
    .split('\n')
    .slice(1)
    .map((line) => line.replace(/\t$/, ''))
    .join('\n')
    .trimEnd();
}

function colorPatch(patch: string): string {
  return patch
    .split('\n')
    .map((line) => (line.startsWith('+') && !line.startsWith('+++') ? color.green(line) : line.startsWith('-') && !line.startsWith('---') ? color.red(line) : line.startsWith('@@') ? color.cyan(line) : line))
    .join('\n');
}
