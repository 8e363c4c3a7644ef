import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import type { LabHost } from '../../src/lab/boot.ts';
import { labDir, TEST_INDEXES } from '../../src/lab/layout.ts';
import { runInLabHost, startLab, stopLab, type LabHostSpec } from '../../src/lab/lab.ts';
import { renderLabInventory, type LabInventoryOptions } from '../../src/lab/lab-inventory.ts';
import { isAlive } from '../helpers/process-alive.ts';

/** Non-empty when the lab cannot run here; suites use it with describe.skipIf. */
export const labUnavailable = inject('labUnavailable');

/**
 * Boots the given hosts for one test file and stops exactly those processes afterwards, even when
 * tests fail. Each file picks its own address indexes (see INDEXES) so files can run in parallel.
 */
export function useLabHosts(specs: LabHostSpec[]): LabHost[] {
  const hosts: LabHost[] = [];
  const outside = specs.filter((spec) => spec.index < TEST_INDEXES.first || spec.index > TEST_INDEXES.last);
  if (outside.length) throw new Error(`lab test hosts take addresses .${TEST_INDEXES.first} to .${TEST_INDEXES.last} (fleet lab up has the others): ${outside.map((spec) => `${spec.name} .${spec.index}`).join(', ')}`);
  beforeAll(async () => {
    if (labUnavailable) return;
    claimIndexes(specs);
    hosts.push(...(await startLab(specs)));
  });
  afterAll(async () => {
    await stopLab(hosts);
    if (!labUnavailable) releaseIndexes(specs);
  });
  return hosts;
}

const claimPath = (index: number) => join(labDir(), 'claims', String(index));

/**
 * Files run in parallel, each with indexes of its own: two files that picked the same index would
 * take each other's hosts down at random. A claim file per index makes that fail at once, naming both.
 */
function claimIndexes(specs: readonly LabHostSpec[]): void {
  mkdirSync(join(labDir(), 'claims'), { recursive: true });
  for (const spec of specs) {
    try {
      writeFileSync(claimPath(spec.index), `${process.pid} ${spec.name}\n`, { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const [pid, holder] = readFileSync(claimPath(spec.index), 'utf8').trim().split(' ');
      if (holder !== spec.name && isAlive(Number(pid))) {
        throw new Error(`lab index .${spec.index} is wanted by ${spec.name} but held by ${holder} (pid ${pid}): give one of the two lab files other indexes`);
      }
      // Left by an aborted run (its process is gone) or by this host's own earlier file: take it over.
      writeFileSync(claimPath(spec.index), `${process.pid} ${spec.name}\n`);
    }
  }
}

function releaseIndexes(specs: readonly LabHostSpec[]): void {
  for (const spec of specs) rmSync(claimPath(spec.index), { force: true });
}

/** Writes an inventory for lab hosts into a fresh temporary folder; `extra` is appended verbatim. */
export async function writeLabInventory(hosts: readonly LabHost[], extra = '', options: LabInventoryOptions = {}): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'fleet-test-'));
  const file = join(dir, 'inventory.yaml');
  const knownHosts = join(dir, 'known_hosts');
  await writeFile(file, renderLabInventory(hosts, options).replace(/known_hosts_file: .*/, `known_hosts_file: ${knownHosts}`) + extra);
  return { dir, file };
}

/**
 * Runs a command inside a lab host and returns its output; a non-zero exit fails the test right
 * there, with the command and what it printed (a set-up step that silently failed proves nothing).
 */
export async function onLabHost(host: LabHost, command: string): Promise<string> {
  const result = await runInLabHost(host, command);
  if (result.code !== 0) throw new Error(`on lab host ${host.name}, exit ${result.code} from: ${command}\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

/** Turns on ufw on a lab host: deny incoming, SSH allowed (the way an operator sets up a ufw host). */
export async function enableUfw(host: LabHost): Promise<void> {
  await onLabHost(host, 'ufw default deny incoming >/dev/null && ufw allow 22/tcp >/dev/null && ufw --force enable >/dev/null');
}

/** A hand-written nftables firewall in /etc/nftables.conf: input policy drop, loopback, replies and SSH allowed. */
export async function enableNftables(host: LabHost): Promise<void> {
  const ruleset = [
    '#!/usr/sbin/nft -f',
    'flush ruleset',
    'table inet filter {',
    ' chain input { type filter hook input priority filter; policy drop;',
    '  iif lo accept',
    '  ct state established,related accept',
    '  tcp dport 22 accept',
    ' }',
    '}',
  ];
  await onLabHost(host, `printf '%s\\n' ${ruleset.map((line) => `'${line}'`).join(' ')} > /etc/nftables.conf && nft -f /etc/nftables.conf`);
}
