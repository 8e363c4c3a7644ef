import { basename, dirname, extname, join } from 'node:path';
import type { HostOutcome } from '../engine/events.ts';
import { ExternalError } from '../errors.ts';
import { writeFileAtomically } from '../local/write-atomic.ts';

export interface RetryOptions {
  /** --retry-file PATH, or false for --no-retry-file; unset means the default next to the inventory. */
  retryFile?: string | false;
  /** retry_files_dir from fleet.yaml: where the default file goes instead of the inventory's folder. */
  retryDir?: string;
}

export interface RetryRecord {
  path: string;
  hosts: string[];
}

/** Ansible's place for it: next to the inventory, named after it (`inventory.yaml` -> `inventory.retry`). */
export function defaultRetryPath(inventoryFile: string, retryDir?: string): string {
  const name = `${basename(inventoryFile, extname(inventoryFile))}.retry`;
  return join(retryDir ?? dirname(inventoryFile), name);
}

/**
 * Writes the names of the hosts that failed or were unreachable, one a line, where `--limit @FILE` reads them
 * back. A run without failures leaves an existing file alone (as Ansible does), so a narrower rerun that
 * succeeds cannot lose the other hosts still to retry.
 */
export async function writeRetryFile(inventoryFile: string, options: RetryOptions, outcomes: readonly HostOutcome[], inventoryHosts: readonly string[]): Promise<RetryRecord | undefined> {
  if (options.retryFile === false) return undefined;
  const known = new Set(inventoryHosts);
  const hosts = [...new Set(outcomes.filter((outcome) => outcome.status === 'failed' || outcome.status === 'unreachable').map((outcome) => outcome.host))].filter((host) => known.has(host));
  if (hosts.length === 0) return undefined;
  const path = options.retryFile ?? defaultRetryPath(inventoryFile, options.retryDir);
  await writeFileAtomically(path, `${hosts.join('\n')}\n`).catch((error: Error) => {
    throw new ExternalError(`cannot write the retry file ${path}: ${error.message} (choose another with --retry-file PATH, or --no-retry-file)`);
  });
  return { path, hosts };
}

/** The recap's line about the retry file. */
export function describeRetry(record: RetryRecord | undefined, command: string): string {
  if (!record) return '';
  return `\n${record.hosts.length} host(s) to retry (${record.hosts.join(', ')}), written to ${record.path}; rerun only them with: fleet ${command} ... --limit @${record.path}\n`;
}
