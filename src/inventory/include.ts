import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { isDynamicInventory, readDynamicInventory } from './dynamic.ts';
import { readYamlSource, type Path, type Position, type YamlSource } from '../yaml/source.ts';

/** One file's part of the inventory, placed at `prefix` (group_vars/web.yaml is the vars of group web). */
interface Fragment {
  source: YamlSource;
  prefix: Path;
}

const isMapping = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const YAML_FILE = /\.ya?ml$/;
/** Merging goes this deep (top-level key / host or group name / field); a field set twice is an error, not a silent override. */
const MERGE_DEPTH = 3;

/**
 * Reads an inventory and the files its `include:` names (files, or folders of *.yaml read in name order;
 * a folder named group_vars or host_vars holds one file per group or host, its content that one's vars;
 * an executable printing Ansible's --list JSON, or a Prometheus file_sd .json file, see dynamic.ts).
 * The result reads like one file, but every position names the file the value came from.
 */
export async function readInventorySource(file: string): Promise<YamlSource> {
  const fragments: Fragment[] = [];
  await collect(file, [], fragments, []);
  const data: Record<string, unknown> = {};
  const owners = new Map<string, Fragment>();
  const problems: string[] = [];
  for (const fragment of fragments) {
    const placed = place(fragment);
    mergeInto(data, placed, [], fragment, owners, problems);
  }
  if (problems.length) throw new UsageError(problems.join('\n'));
  const main = fragments[0]!;
  const ownerOf = (path: Path): Fragment => {
    for (let length = Math.min(path.length, MERGE_DEPTH); length > 0; length--) {
      const owner = owners.get(JSON.stringify(path.slice(0, length)));
      if (owner) return owner;
    }
    return main;
  };
  return {
    file: main.source.file,
    data,
    positionOf(path, key) {
      const owner = ownerOf(key === undefined ? path : [...path, key]);
      return { ...owner.source.positionOf(path.slice(owner.prefix.length), key), file: owner.source.file };
    },
  };
}

async function collect(file: string, prefix: Path, into: Fragment[], trail: string[]): Promise<void> {
  const absolute = resolve(file);
  if (trail.includes(absolute)) throw new UsageError(`${file}: included again by itself (${[...trail, absolute].join(' -> ')}); remove the loop of include:`);
  const dynamic = await isDynamicInventory(file);
  const source = dynamic ? await readDynamicInventory(file, dynamic) : await readYamlSource(file);
  into.push({ source, prefix });
  if (dynamic) return;
  const data = source.data;
  if (!isMapping(data) || data.include === undefined) return;
  const entries = typeof data.include === 'string' ? [data.include] : data.include;
  const where = (path: Path) => {
    const { line, col } = source.positionOf(path);
    return `${file}:${line}:${col}`;
  };
  if (!Array.isArray(entries) || !entries.every((entry) => typeof entry === 'string')) {
    throw new UsageError(`${where(['include'])}: include: expected a path or a list of paths (files or folders, relative to this file)`);
  }
  delete data.include;
  for (const [index, entry] of entries.entries()) {
    const path = resolve(dirname(file), entry);
    const kind = await stat(path).catch(() => undefined);
    if (!kind) throw new UsageError(`${where(['include', index])}: include.${index}: ${path} does not exist`);
    if (kind.isFile()) await collect(path, [], into, [...trail, absolute]);
    else for (const member of await folderMembers(path)) await collect(member.file, member.prefix, into, [...trail, absolute]);
  }
}

/** The YAML files of a folder, in name order, subfolders included; group_vars/ and host_vars/ place each file under its group or host. */
async function folderMembers(folder: string): Promise<{ file: string; prefix: Path }[]> {
  const members: { file: string; prefix: Path }[] = [];
  const entries = (await readdir(folder, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) members.push(...(await folderMembers(path)));
    else if (YAML_FILE.test(entry.name) || ((await isDynamicInventory(path)) && !kindIsVars(folder))) {
      const name = basename(entry.name, extname(entry.name));
      const kind = basename(folder);
      members.push({ file: path, prefix: kind === 'group_vars' ? ['groups', name, 'vars'] : kind === 'host_vars' ? ['hosts', name, 'vars'] : [] });
    }
  }
  return members;
}

function place(fragment: Fragment): unknown {
  let value: unknown = fragment.source.data;
  for (const segment of [...fragment.prefix].reverse()) value = { [segment]: value };
  return value;
}

function mergeInto(target: Record<string, unknown>, value: unknown, path: string[], fragment: Fragment, owners: Map<string, Fragment>, problems: string[]): void {
  if (!isMapping(value)) return;
  for (const [key, child] of Object.entries(value)) {
    const childPath = [...path, key];
    const id = JSON.stringify(childPath);
    if (!(key in target) || target[key] === null || target[key] === undefined) {
      target[key] = child;
      recordOwner(child, childPath, fragment, owners);
      continue;
    }
    if (childPath.length < MERGE_DEPTH && isMapping(target[key]) && isMapping(child)) {
      mergeInto(target[key] as Record<string, unknown>, child, childPath, fragment, owners, problems);
      continue;
    }
    if (child === null) continue;
    const first = owners.get(id);
    const here = fragment.source.positionOf(childPath.slice(fragment.prefix.length));
    const there: Position | undefined = first?.source.positionOf(childPath.slice(first.prefix.length));
    problems.push(
      `${fragment.source.file}:${here.line}:${here.col}: ${childPath.join('.')}: already set in ${first ? `${first.source.file}:${there!.line}:${there!.col}` : 'another file'}; set it in one file only`,
    );
  }
}

/** Marks `fragment` as where the value at `path` and its fields (down to the merge depth) were set. */
function recordOwner(value: unknown, path: string[], fragment: Fragment, owners: Map<string, Fragment>): void {
  if (path.length > MERGE_DEPTH) return;
  owners.set(JSON.stringify(path), fragment);
  if (isMapping(value)) for (const [key, child] of Object.entries(value)) recordOwner(child, [...path, key], fragment, owners);
}

const kindIsVars = (folder: string) => ['group_vars', 'host_vars'].includes(basename(folder));
