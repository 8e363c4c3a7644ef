import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { applyLimit } from '../../../src/inventory/limit.ts';
import { writeTempFiles } from '../../helpers/temp-files.ts';

const hosts = [
  { name: 'web1', groups: ['web'] },
  { name: 'web2', groups: ['web'] },
  { name: 'db1', groups: ['db'] },
];
const names = (limit?: string) => applyLimit(hosts, limit).map((host) => host.name);

describe('applyLimit', () => {
  it('selects by name, group and glob, and excludes with !', () => {
    expect(names()).toEqual(['web1', 'web2', 'db1']);
    expect(names('db1')).toEqual(['db1']);
    expect(names('web')).toEqual(['web1', 'web2']);
    expect(names('w*2,db?')).toEqual(['web2', 'db1']);
    expect(names('web,!web1')).toEqual(['web2']);
    expect(names('!db')).toEqual(['web1', 'web2']);
  });

  it('refuses a pattern that matches nothing', () => {
    expect(() => names('web9')).toThrow('--limit: "web9" matches no host or group');
  });
});

describe('applyLimit with @FILE', () => {
  const file = (content: string) => join(writeTempFiles({ 'inventory.retry': content }), 'inventory.retry');

  it('selects exactly the hosts a retry file lists, combinable with other patterns', () => {
    const retry = file('web2\ndb1\n');
    expect(names(`@${retry}`)).toEqual(['web2', 'db1']);
    expect(names(`@${retry},!db1`)).toEqual(['web2']);
    expect(names(`web1,@${retry}`)).toEqual(['web1', 'web2', 'db1']);
    expect(names(`web,!@${retry}`)).toEqual(['web1']);
  });

  it('matches names exactly, not as globs or groups', () => {
    expect(() => names(`@${file('web\n')}`)).toThrow('"web" is not a host of the inventory');
  });

  it('says which line names an unknown host, and when the file is missing or empty', () => {
    const retry = file('web1\n# a comment\n  web9\n');
    expect(() => names(`@${retry}`)).toThrow(`${retry}:3:3: "web9" is not a host of the inventory; remove the line or add the host`);
    expect(() => names('@/nonexistent.retry')).toThrow('--limit @/nonexistent.retry: cannot read the file: ENOENT');
    expect(() => names(`@${file('\n')}`)).toThrow('the file names no hosts');
  });
});
