import { readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { parse } from 'yaml';
import { PACKAGE_ROOT } from '../../package-root.ts';
import type { NameSources } from './candidates.ts';

/**
 * Names read straight from the files, without validating the inventory: completion must answer fast and
 * still help while the inventory is half-written.
 */
export const fileNameSources: NameSources = {
  inventoryNames(inventoryFile) {
    const hosts = new Set<string>();
    const groups = new Set<string>();
    try {
      const raw = parse(readFileSync(inventoryFile, 'utf8')) as Record<string, unknown> | null;
      for (const name of keysOf(raw?.hosts)) hosts.add(name);
      for (const [group, spec] of Object.entries(asRecord(raw?.groups))) {
        groups.add(group);
        for (const name of keysOf(asRecord(spec).hosts)) hosts.add(name);
      }
    } catch {
      // An unreadable or invalid inventory completes nothing; the command itself will explain the problem.
    }
    return { hosts: [...hosts], groups: [...groups] };
  },
  playbookNames(inventoryFile) {
    const folders = [...(inventoryFile ? [join(dirname(inventoryFile), 'playbooks')] : []), join(PACKAGE_ROOT, 'playbooks')];
    return [...new Set(folders.flatMap(yamlNamesIn))];
  },
};

function yamlNamesIn(folder: string): string[] {
  try {
    return readdirSync(folder)
      .filter((file) => extname(file) === '.yaml')
      .map((file) => file.slice(0, -'.yaml'.length));
  } catch {
    return [];
  }
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function keysOf(value: unknown): string[] {
  return Object.keys(asRecord(value));
}
