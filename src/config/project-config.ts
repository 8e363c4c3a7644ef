import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { UsageError } from '../errors.ts';
import { readYamlSource } from '../yaml/source.ts';
import { describeIssues } from '../yaml/zod-issues.ts';

/** fleet.yaml: defaults an operator sets once for a project. Paths in it are relative to the file's folder. */
export const projectConfigSchema = z.strictObject({
  inventory: z.string().min(1).optional(),
  forks: z.number().int().min(1).optional(),
  log_file: z.string().min(1).optional(),
  artifact_cache: z.string().min(1).optional(),
  color: z.enum(['auto', 'always', 'never']).optional(),
  retry_files: z.boolean().optional(),
  retry_files_dir: z.string().min(1).optional(),
});

export type ProjectConfigFile = z.infer<typeof projectConfigSchema>;

export interface ProjectConfig {
  file: string;
  inventory?: string;
  forks?: number;
  logFile?: string;
  artifactCache?: string;
  color?: 'auto' | 'always' | 'never';
  retryFiles?: boolean;
  retryFilesDir?: string;
}

export const CONFIG_FILE_NAME = 'fleet.yaml';

/**
 * Where the project config is, first found: FLEET_CONFIG (it must exist), fleet.yaml next to the inventory,
 * fleet.yaml in the working directory (as Ansible looks for ANSIBLE_CONFIG, then ./ansible.cfg).
 */
export function findProjectConfig(inventoryFile: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | undefined {
  if (env.FLEET_CONFIG) {
    if (!existsSync(env.FLEET_CONFIG)) throw new UsageError(`FLEET_CONFIG=${env.FLEET_CONFIG}: no such file`);
    return env.FLEET_CONFIG;
  }
  const candidates = [...(inventoryFile ? [join(dirname(inventoryFile), CONFIG_FILE_NAME)] : []), join(cwd, CONFIG_FILE_NAME)];
  return candidates.find((candidate) => existsSync(candidate));
}

/** Reads and validates fleet.yaml; every problem is reported with file:line:col, as for the inventory. */
export async function loadProjectConfig(file: string): Promise<ProjectConfig> {
  const source = await readYamlSource(file);
  const parsed = projectConfigSchema.safeParse(source.data);
  if (!parsed.success) throw new UsageError(describeIssues(source, projectConfigSchema, parsed.error.issues).join('\n'));
  const dir = dirname(file);
  const path = (value: string | undefined) => (value === undefined ? undefined : resolve(dir, value));
  const raw = parsed.data;
  return {
    file,
    inventory: path(raw.inventory),
    forks: raw.forks,
    logFile: path(raw.log_file),
    artifactCache: path(raw.artifact_cache),
    color: raw.color,
    retryFiles: raw.retry_files,
    retryFilesDir: path(raw.retry_files_dir),
  };
}
