import { describe, expect, it } from 'vitest';
import { applyLimit } from '../../../src/inventory/limit.ts';

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
