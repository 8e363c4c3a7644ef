import { fileLinesFact, parseFileLines } from '../facts/file-lines.ts';
import type { Connection } from '../connection/ssh.ts';
import { shellCommand } from '../connection/quote.ts';
import type { HostProgram } from '../engine/host-plan.ts';
import { writeAtomically } from '../resources/file.ts';
import type { Change, FactRequest } from '../resources/types.ts';

/**
 * fleet's record on each host of what it created (never what it found), so uninstall removes exactly that:
 * a host that had Node Exporter before fleet keeps it. Written atomically by apply.
 */
export const RECORD_DIR = '/var/lib/fleet';
export const RECORD_PATH = `${RECORD_DIR}/state.json`;
export const RECORD_FACT = 'fleet-record';

export interface RecordEntry {
  /** The resource id as in plans: `file /etc/alloy/config.alloy`, `user alloy`, `firewall 9100/tcp`. */
  resource: string;
  /** The task's tags (node_exporter, alloy): what --component selects. */
  tags: string[];
}

export interface HostRecord {
  version: 1;
  /** ISO time of the last apply that finished on this host. */
  lastApply?: string;
  created: RecordEntry[];
}

export const recordFact = (): FactRequest => fileLinesFact(RECORD_FACT, RECORD_PATH);

/** The record's text in the facts, or '' when the host has none. */
export const recordTextOf = (answer: string | undefined): string => parseFileLines(answer).text;

/** The record as read from the host; an absent or unreadable record is an empty one (fleet created nothing it knows of). */
export function parseRecord(text: string | undefined): HostRecord {
  if (!text?.trim()) return { version: 1, created: [] };
  try {
    const value = JSON.parse(text) as Partial<HostRecord>;
    const created = Array.isArray(value.created) ? value.created.filter((entry): entry is RecordEntry => typeof entry?.resource === 'string').map((entry) => ({ resource: entry.resource, tags: Array.isArray(entry.tags) ? entry.tags.filter((tag) => typeof tag === 'string') : [] })) : [];
    return { version: 1, lastApply: typeof value.lastApply === 'string' ? value.lastApply : undefined, created };
  } catch {
    return { version: 1, created: [] };
  }
}

/** The resources this plan creates, added to what the record already holds (once each). */
export function withCreated(record: HostRecord, program: HostProgram, changes: readonly Change[]): HostRecord {
  const created = [...record.created];
  program.resources.forEach(({ resource }, index) => {
    if (changes[index]?.action === 'create' && !created.some((entry) => entry.resource === resource.id)) created.push({ resource: resource.id, tags: [...resource.tags] });
  });
  return { ...record, created };
}

export async function writeRecord(connection: Connection, record: HostRecord): Promise<void> {
  await connection.execChecked(`folder ${RECORD_DIR}`, shellCommand('mkdir', '-p', RECORD_DIR), { sudo: true });
  await writeAtomically(connection, { path: RECORD_PATH, content: `${JSON.stringify(record, null, 2)}\n`, mode: '0644', owner: 'root', group: 'root' });
}
