import { dirname } from 'node:path';
import { UsageError } from '../errors.ts';
import type { YamlSource } from '../yaml/source.ts';
import { readInventorySource } from './include.ts';
import { describeIssues } from '../yaml/zod-issues.ts';
import { inventorySchema, addressSchema, type HostEntry, type InventoryFile } from './schema.ts';

/** One host as declared: its entry and every group it belongs to directly. */
export interface DeclaredHost {
  name: string;
  entry: HostEntry;
  directGroups: string[];
}

export interface Inventory {
  file: string;
  dir: string;
  raw: InventoryFile;
  hosts: DeclaredHost[];
  /** Group names in file order; children come after their parents when merged. */
  groups: string[];
  /** Group -> every host in it, children's hosts included. */
  members: Map<string, Set<string>>;
  /** Group -> number of ancestors, so parents merge before children. */
  depth: Map<string, number>;
}

/** Reads and validates an inventory; every problem is reported at once with file:line:col. */
export async function loadInventory(file: string): Promise<Inventory> {
  const source = await readInventorySource(file);
  const parsed = inventorySchema.safeParse(source.data);
  if (!parsed.success) throw new UsageError(describeIssues(source, inventorySchema, parsed.error.issues).join('\n'));
  return buildInventory(source, parsed.data);
}

function buildInventory(source: YamlSource, raw: InventoryFile): Inventory {
  const problems: string[] = [];
  const at = (path: (string | number)[], message: string) => {
    const { line, col, file = source.file } = source.positionOf(path);
    problems.push(`${file}:${line}:${col}: ${path.join('.')}: ${message}`);
  };
  const groupNames = Object.keys(raw.groups ?? {});
  const definedAt = new Map<string, (string | number)[]>();
  const hosts = new Map<string, DeclaredHost>();

  const declare = (name: string, entry: HostEntry | null, path: (string | number)[], group?: string) => {
    const host = hosts.get(name) ?? { name, entry: {}, directGroups: [] };
    hosts.set(name, host);
    if (group && !host.directGroups.includes(group)) host.directGroups.push(group);
    if (entry && Object.keys(entry).length > 0) {
      const first = definedAt.get(name);
      if (first) {
        const { line, col, file = source.file } = source.positionOf(first);
        at(path, `host "${name}" is already defined at ${file === source.file ? '' : `${file} `}line ${line}, column ${col}; define it once and list it elsewhere with an empty value (${name}: ~)`);
        return;
      }
      definedAt.set(name, path);
      host.entry = entry;
    }
  };

  for (const [name, entry] of Object.entries(raw.hosts ?? {})) declare(name, entry, ['hosts', name]);
  for (const [group, spec] of Object.entries(raw.groups ?? {})) {
    for (const [name, entry] of Object.entries(spec?.hosts ?? {})) declare(name, entry, ['groups', group, 'hosts', name], group);
  }
  for (const host of hosts.values()) {
    const path = definedAt.get(host.name) ?? ['hosts', host.name];
    (host.entry.groups ?? []).forEach((group, index) => {
      if (!groupNames.includes(group)) at([...path, 'groups', index], `undefined group "${group}"; define it under groups:`);
      else if (!host.directGroups.includes(group)) host.directGroups.push(group);
    });
    if (host.entry.address === undefined && !addressSchema.safeParse(host.name).success) {
      at(path, `host "${host.name}" has no address and its name is not a DNS name; add address:`);
    }
  }
  for (const [group, spec] of Object.entries(raw.groups ?? {})) {
    (spec?.children ?? []).forEach((child, index) => {
      if (!groupNames.includes(child)) at(['groups', group, 'children', index], `undefined group "${child}"; define it under groups:`);
    });
  }
  (raw.prometheus?.servers ?? []).forEach((server, index) => {
    if (!hosts.has(server.host)) at(['prometheus', 'servers', index, 'host'], `"${server.host}" is not a host of this inventory; add it under hosts: so fleet can reach it over SSH`);
  });
  if (problems.length === 0) {
    const cycle = findChildCycle(raw);
    if (cycle) at(['groups', cycle[0]!, 'children'], `groups contain each other: ${cycle.join(' -> ')}`);
  }
  if (problems.length > 0) throw new UsageError(problems.join('\n'));

  const { members, depth } = groupMembership(raw, [...hosts.values()]);
  return { file: source.file, dir: dirname(source.file), raw, hosts: [...hosts.values()], groups: groupNames, members, depth };
}

function findChildCycle(raw: InventoryFile): string[] | undefined {
  const children = (group: string) => raw.groups?.[group]?.children ?? [];
  const visit = (group: string, trail: string[]): string[] | undefined => {
    if (trail.includes(group)) return [...trail.slice(trail.indexOf(group)), group];
    for (const child of children(group)) {
      const cycle = visit(child, [...trail, group]);
      if (cycle) return cycle;
    }
    return undefined;
  };
  for (const group of Object.keys(raw.groups ?? {})) {
    const cycle = visit(group, []);
    if (cycle) return cycle;
  }
  return undefined;
}

function groupMembership(raw: InventoryFile, hosts: DeclaredHost[]) {
  const groups = Object.keys(raw.groups ?? {});
  const children = (group: string) => raw.groups?.[group]?.children ?? [];
  const members = new Map<string, Set<string>>();
  const collect = (group: string): Set<string> => {
    const cached = members.get(group);
    if (cached) return cached;
    const set = new Set(hosts.filter((host) => host.directGroups.includes(group)).map((host) => host.name));
    for (const child of children(group)) for (const name of collect(child)) set.add(name);
    members.set(group, set);
    return set;
  };
  groups.forEach(collect);
  const depth = new Map<string, number>();
  const depthOf = (group: string): number => {
    if (!depth.has(group)) {
      const parents = groups.filter((parent) => children(parent).includes(group));
      depth.set(group, parents.length === 0 ? 0 : 1 + Math.max(...parents.map(depthOf)));
    }
    return depth.get(group)!;
  };
  groups.forEach(depthOf);
  return { members, depth };
}
