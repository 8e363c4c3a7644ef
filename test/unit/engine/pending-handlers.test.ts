import { fileLinesAnswer } from '../../../src/facts/file-lines.ts';
import { describe, expect, it } from 'vitest';
import { parsePending, recordPendingCommand, strongerAction } from '../../../src/engine/pending-handlers.ts';
import { serviceResource } from '../../../src/resources/service.ts';
import { factsFrom } from '../../helpers/facts.ts';

describe('pending handlers recorded on the host', () => {
  it('reads back what was recorded; anything else is no record', () => {
    expect(parsePending('restart artifact /usr/local/bin/alloy, file /etc/default/alloy\n')).toEqual({ action: 'restart', because: 'artifact /usr/local/bin/alloy, file /etc/default/alloy' });
    expect(parsePending('')).toBeUndefined();
    expect(parsePending('garbage')).toBeUndefined();
  });

  it('a restart outranks a reload', () => {
    expect(strongerAction('reload', 'restart')).toBe('restart');
    expect(strongerAction(undefined, 'reload')).toBe('reload');
    expect(strongerAction('reload', undefined)).toBe('reload');
  });

  it('writes through a temporary file and a rename, every value quoted', () => {
    const command = recordPendingCommand(new Map([["it's", { action: 'restart', because: 'file /etc/x; rm -rf /' }]]));
    expect(command).toBe(`mkdir -p /var/lib/fleet/pending && printf '%s\\n' 'restart file /etc/x; rm -rf /' > '/var/lib/fleet/pending/it'\\''s.new' && mv -f '/var/lib/fleet/pending/it'\\''s.new' '/var/lib/fleet/pending/it'\\''s'`);
  });

  it('a running service that still owes a restart is drift, not "same"', () => {
    const service = serviceResource({ name: 'alloy', enabled: true, state: 'started', ports: [] });
    const facts = (pending: string) => factsFrom({ 'service:alloy': 'enabled|active\n', 'pending:alloy': fileLinesAnswer(pending) });
    expect(service.plan(facts(''))).toMatchObject({ action: 'same' });
    expect(service.plan(facts('restart artifact /usr/local/bin/alloy\n'))).toEqual({
      resource: 'service alloy',
      action: 'update',
      reason: 'restart pending: artifact /usr/local/bin/alloy changed in an earlier run that did not finish',
    });
  });
});
