import { fileLinesFact } from '../facts/file-lines.ts';
import { shellQuote } from '../connection/quote.ts';
import type { FactRequest, Notify } from '../resources/types.ts';

/**
 * Handlers promised but not yet run, kept on the host: a change that notified a restart is recorded
 * here before it is applied, and the record is removed only once the restart (or reload) happened.
 * A run that fails or is interrupted in between leaves the record, so the next run restarts and
 * `fleet check` reports the restart as still owed instead of saying "in sync".
 */
export const PENDING_DIR = '/var/lib/fleet/pending';

export interface PendingHandler {
  action: Notify['action'];
  /** The resources whose change asked for it. */
  because: string;
}

function recordPath(service: string): string {
  return `${PENDING_DIR}/${service.replaceAll('/', '_')}`;
}

export function pendingFact(service: string): FactRequest {
  return fileLinesFact(`pending:${service}`, recordPath(service));
}

/** The record's one line: `restart|reload <resources>`; anything else reads as no record. */
export function parsePending(text: string | undefined): PendingHandler | undefined {
  const match = /^(restart|reload) (.*)$/.exec((text ?? '').trim().split('\n')[0] ?? '');
  return match ? { action: match[1] as Notify['action'], because: match[2]! } : undefined;
}

/** A restart outranks a reload: a service owed both gets the restart. */
export function strongerAction(a: Notify['action'] | undefined, b: Notify['action'] | undefined): Notify['action'] | undefined {
  return a === 'restart' || b === 'restart' ? 'restart' : (a ?? b);
}

/** Writes the records atomically (temporary file, then rename), so a dropped session leaves the old record or the new one. */
export function recordPendingCommand(records: ReadonlyMap<string, PendingHandler>): string {
  const writes = [...records].map(([service, { action, because }]) => {
    const path = recordPath(service);
    return `printf '%s\\n' ${shellQuote(`${action} ${because}`)} > ${shellQuote(`${path}.new`)} && mv -f ${shellQuote(`${path}.new`)} ${shellQuote(path)}`;
  });
  return [`mkdir -p ${PENDING_DIR}`, ...writes].join(' && ');
}

export function clearPendingCommand(service: string): string {
  return `rm -f ${shellQuote(recordPath(service))}`;
}
