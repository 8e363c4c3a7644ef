import { describe, expect, it } from 'vitest';
import { parseRecord, withCreated, type HostRecord } from '../../../src/lifecycle/host-record.ts';
import { selectEntries, uninstallProgram } from '../../../src/lifecycle/uninstall.ts';
import type { HostProgram } from '../../../src/engine/host-plan.ts';
import type { Change, Resource } from '../../../src/resources/types.ts';

const resource = (id: string, tags: string[]): Resource => ({ id, tags, facts: () => [], plan: () => ({ resource: id, action: 'same', reason: '' }), apply: async () => {} });

const record: HostRecord = {
  version: 1,
  lastApply: '2026-11-29T19:00:00.000Z',
  created: [
    { resource: 'user node_exporter', tags: ['node_exporter'] },
    { resource: 'artifact /usr/local/bin/node_exporter', tags: ['node_exporter'] },
    { resource: 'directory /var/lib/alloy', tags: ['alloy'] },
    { resource: 'directory /var/lib/alloy/data', tags: ['alloy'] },
    { resource: 'unit /etc/systemd/system/alloy.service', tags: ['alloy'] },
    { resource: 'firewall 12345/tcp', tags: ['alloy', 'firewall'] },
    { resource: 'file /etc/alloy/config.alloy', tags: ['alloy', 'config'] },
  ],
};

describe('host record', () => {
  it('adds only what the plan creates, once', () => {
    const program: HostProgram = { resources: [resource('user alloy', ['alloy']), resource('file /etc/default/alloy', ['alloy']), resource('user node_exporter', ['node_exporter'])].map((r) => ({ resource: r })), checks: [] };
    const changes: Change[] = [
      { resource: 'user alloy', action: 'create', reason: '' },
      { resource: 'file /etc/default/alloy', action: 'update', reason: '' },
      { resource: 'user node_exporter', action: 'create', reason: '' },
    ];
    const next = withCreated(record, program, changes);
    expect(next.created.map((entry) => entry.resource)).toEqual([...record.created.map((entry) => entry.resource), 'user alloy']);
  });

  it('reads an absent or broken record as empty', () => {
    expect(parseRecord('')).toEqual({ version: 1, created: [] });
    expect(parseRecord('{not json')).toEqual({ version: 1, created: [] });
    expect(parseRecord(JSON.stringify(record))).toEqual(record);
  });
});

describe('uninstall plan', () => {
  it('--component selects by task tag; no component selects everything', () => {
    expect(selectEntries(record, ['node-exporter']).map((entry) => entry.resource)).toEqual(['user node_exporter', 'artifact /usr/local/bin/node_exporter']);
    expect(selectEntries(record, [])).toHaveLength(record.created.length);
  });

  it('stops services first, removes files before folders (deepest first) and users last, then updates the record', () => {
    const ids = uninstallProgram(record, record.created).resources.map(({ resource }) => resource.id);
    expect(ids).toEqual([
      'service alloy',
      'unit /etc/systemd/system/alloy.service',
      'firewall 12345/tcp',
      'file /etc/alloy/config.alloy',
      'file /usr/local/bin/node_exporter',
      'file /var/lib/fleet/artifacts/node_exporter',
      'file /var/lib/fleet/artifacts/node_exporter.identity',
      'directory /var/lib/alloy/data',
      'directory /var/lib/alloy',
      'user node_exporter',
      'record /var/lib/fleet/state.json',
    ]);
  });
});
