import { basename } from 'node:path';
import { shellCommand, shellQuote } from '../connection/quote.ts';
import type { Connection } from '../connection/ssh.ts';
import type { HostProgram } from '../engine/host-plan.ts';
import { parsePathState, pathStateFact } from '../facts/path-state.ts';
import { absentFileResource } from '../resources/file.ts';
import { firewallPortResource } from '../resources/firewall-port.ts';
import { serviceResource } from '../resources/service.ts';
import type { Change, FactRequest, Resource } from '../resources/types.ts';
import { RECORD_DIR, RECORD_FACT, RECORD_PATH, parseRecord, recordFact, recordTextOf, writeRecord, type HostRecord, type RecordEntry } from './host-record.ts';

/** `--component` names, as users type them, and the task tag each selects. */
export const COMPONENT_TAGS = { 'node-exporter': 'node_exporter', alloy: 'alloy' } as const;
export type Component = keyof typeof COMPONENT_TAGS;

/** The entries of the record that an uninstall of these components (all when none) removes. */
export function selectEntries(record: HostRecord, components: readonly Component[]): RecordEntry[] {
  if (components.length === 0) return record.created;
  const tags = components.map((component) => COMPONENT_TAGS[component]);
  return record.created.filter((entry) => entry.tags.some((tag) => (tags as string[]).includes(tag)));
}

// Services stop first (nothing runs from a file being removed), the firewall closes, files go, then folders, users last.
const ORDER = ['unit', 'service', 'firewall', 'file', 'artifact', 'directory', 'user'];

/**
 * The removal of what fleet created, as a program of ordinary resources: planned (so --check shows it),
 * applied only where something is still there, so a second run changes nothing.
 */
export function uninstallProgram(record: HostRecord, entries: readonly RecordEntry[]): HostProgram {
  const resources: Resource[] = [];
  const sorted = [...entries].sort((a, b) => ORDER.indexOf(kindOf(a)) - ORDER.indexOf(kindOf(b)) || pathDepth(b) - pathDepth(a));
  for (const entry of sorted) {
    const kind = kindOf(entry);
    const target = entry.resource.slice(kind.length + 1);
    if (kind === 'unit') {
      resources.push(serviceResource({ name: basename(target).replace(/\.service$/, ''), enabled: false, state: 'stopped', ports: [] }));
      resources.push(absentUnitResource(target));
    } else if (kind === 'firewall') resources.push(firewallPortResource({ port: Number(target.split('/')[0]), sources: [], state: 'absent' }));
    else if (kind === 'file') resources.push(absentFileResource({ path: target }));
    else if (kind === 'artifact') {
      resources.push(absentFileResource({ path: target }));
      // The artifact's marker and its identity record (see resources/artifact.ts), named after the binary.
      resources.push(absentFileResource({ path: `${RECORD_DIR}/artifacts/${basename(target)}` }));
      resources.push(absentFileResource({ path: `${RECORD_DIR}/artifacts/${basename(target)}.identity` }));
    } else if (kind === 'directory') resources.push(absentDirectoryResource(target));
    else if (kind === 'user') resources.push(absentUserResource(target));
  }
  const removed = new Set(entries.map((entry) => entry.resource));
  resources.push(recordResource({ ...record, created: record.created.filter((entry) => !removed.has(entry.resource)) }));
  return { resources: resources.map((resource) => ({ resource })), checks: [] };
}

const kindOf = (entry: RecordEntry) => entry.resource.split(' ')[0]!;
const pathDepth = (entry: RecordEntry) => entry.resource.split('/').length;

function absentUnitResource(path: string): Resource {
  const file = absentFileResource({ path });
  return {
    ...file,
    id: `unit ${path}`,
    plan: (facts) => ({ ...(file.plan(facts) as Change), resource: `unit ${path}` }),
    async apply(connection, change, facts) {
      await file.apply(connection, change, facts);
      await connection.execChecked('systemctl daemon-reload', 'systemctl daemon-reload', { sudo: true });
    },
  };
}

/** Something fleet created, deleted when the host still has it: one read in the facts round trip, one removal. */
function createdResource(id: string, fact: FactRequest, isPresent: (output: string) => boolean, remove: (connection: Connection) => Promise<unknown>): Resource {
  return {
    id,
    tags: [],
    facts: () => [fact],
    plan: (facts): Change => (isPresent(facts.raw.get(fact.key) ?? '') ? { resource: id, action: 'delete', reason: 'created by fleet' } : { resource: id, action: 'same', reason: 'absent' }),
    apply: (connection) => remove(connection).then(() => undefined),
  };
}

/** A folder fleet created, removed with what is in it (fleet's own data: Alloy's WAL, the textfile collector). */
function absentDirectoryResource(path: string): Resource {
  return createdResource(`directory ${path}`, pathStateFact(`path:${path}`, path), (output) => parsePathState(output).exists, (connection) =>
    connection.execChecked(`remove ${path}`, shellCommand('rm', '-rf', '--', path), { sudo: true }),
  );
}

/** A system user fleet created, and its group when the group has no other member. */
function absentUserResource(name: string): Resource {
  const fact = { key: `user:${name}`, command: `getent passwd ${shellQuote(name)} >/dev/null && echo present || echo absent` };
  return createdResource(`user ${name}`, fact, (output) => output.trim() === 'present', (connection) => {
    const group = `getent group ${shellQuote(name)} >/dev/null && [ -z "$(getent group ${shellQuote(name)} | cut -d: -f4)" ] && ${shellCommand('groupdel', '--', name)}`;
    return connection.execChecked(`user ${name}`, `${shellCommand('userdel', '--', name)} && { ${group} || true; }`, { sudo: true });
  });
}

/** The record without the removed entries; deleted with its folder when fleet created nothing more there. */
function recordResource(remaining: HostRecord): Resource {
  const id = `record ${RECORD_PATH}`;
  const empty = remaining.created.length === 0;
  return {
    id,
    tags: [],
    facts: () => [recordFact()],
    plan(facts): Change {
      const text = recordTextOf(facts.raw.get(RECORD_FACT));
      if (empty) return text.trim() ? { resource: id, action: 'delete', reason: 'fleet created nothing more on this host' } : { resource: id, action: 'same', reason: 'absent' };
      const current = parseRecord(text).created.map((entry) => entry.resource);
      const gone = current.filter((resource) => !remaining.created.some((entry) => entry.resource === resource));
      return gone.length ? { resource: id, action: 'update', reason: `forget ${gone.join(', ')}` } : { resource: id, action: 'same', reason: 'up to date' };
    },
    async apply(connection) {
      if (!empty) return writeRecord(connection, remaining);
      // fleet's own bookkeeping goes too (artifact markers and hash records, also those of binaries it found: a cache
      // the next apply rebuilds); the folder itself, and pending/ of the pending handlers, only when empty.
      await connection.execChecked(`remove ${RECORD_PATH}`, `${shellCommand('rm', '-rf', '--', RECORD_PATH, `${RECORD_DIR}/artifacts`)} && { ${shellCommand('rmdir', `${RECORD_DIR}/pending`)} 2>/dev/null; ${shellCommand('rmdir', RECORD_DIR)} 2>/dev/null; true; }`, { sudo: true });
    },
  };
}
