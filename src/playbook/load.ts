import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { PACKAGE_ROOT } from '../package-root.ts';
import { readYamlSource } from '../yaml/source.ts';
import { describeIssues } from '../yaml/zod-issues.ts';
import { playbookSchema, type Playbook } from './schema.ts';


export interface LoadedPlaybook {
  file: string;
  playbook: Playbook;
}

/** Finds a playbook by path, or by name next to the inventory (playbooks/NAME.yaml), or among fleet's own. */
export function findPlaybook(nameOrPath: string, inventoryDir: string): string {
  const candidates = [
    resolve(nameOrPath),
    join(inventoryDir, 'playbooks', `${nameOrPath}.yaml`),
    join(PACKAGE_ROOT, 'playbooks', `${nameOrPath}.yaml`),
  ];
  const found = candidates.find((candidate) => existsSync(candidate) && candidate.endsWith('.yaml'));
  if (!found) throw new UsageError(`playbook "${nameOrPath}" not found; looked for ${candidates.join(', ')}`);
  return found;
}

export async function loadPlaybook(file: string): Promise<LoadedPlaybook> {
  const source = await readYamlSource(file);
  const parsed = playbookSchema.safeParse(source.data);
  if (!parsed.success) throw new UsageError(describeIssues(source, playbookSchema, parsed.error.issues).join('\n'));
  return { file, playbook: parsed.data };
}

/** Loads the named playbooks and, after each one's tasks, the playbooks it imports; a cycle is an error. */
export async function loadPlaybooks(names: readonly string[], inventoryDir: string, chain: string[] = []): Promise<LoadedPlaybook[]> {
  const loaded: LoadedPlaybook[] = [];
  for (const name of names) {
    const file = findPlaybook(name, inventoryDir);
    if (chain.includes(file)) throw new UsageError(`playbook ${file} imports itself (${[...chain, file].join(' -> ')})`);
    const playbook = await loadPlaybook(file);
    loaded.push(playbook, ...(await loadPlaybooks(playbook.playbook.import, inventoryDir, [...chain, file])));
  }
  return loaded;
}
