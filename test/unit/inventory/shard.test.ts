import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.ts';
import { applyShard, parseShard, shardLabel, shardOf } from '../../../src/inventory/shard.ts';

const hosts = (count: number, prefix = 'web') => Array.from({ length: count }, (_, index) => ({ name: `${prefix}${index + 1}.example.net` }));

describe('parseShard', () => {
  it('reads K/N with K counted from 0', () => {
    expect(parseShard('0/4')).toEqual({ index: 0, count: 4 });
    expect(parseShard('3/4')).toEqual({ index: 3, count: 4 });
    expect(shardLabel(parseShard('2/5'))).toBe('shard-2-of-5');
  });

  it.each(['4/4', '1/0', '-1/3', 'a/3', '1', '1/2/3', '', '1.5/3'])('refuses %j as a usage error', (value) => {
    expect(() => parseShard(value)).toThrow(UsageError);
    expect(() => parseShard(value)).toThrow(/expected K\/N/);
  });
});

describe('applyShard', () => {
  it('without a shard selects every host', () => {
    expect(applyShard(hosts(5), undefined)).toHaveLength(5);
  });

  it.each([1, 2, 3, 7, 16])('the union of %i shards covers every host exactly once', (count) => {
    const all = hosts(500);
    const parts = Array.from({ length: count }, (_, index) => applyShard(all, { index, count }).map((host) => host.name));
    const union = parts.flat();
    expect(union).toHaveLength(all.length);
    expect(new Set(union)).toEqual(new Set(all.map((host) => host.name)));
    // Roughly balanced: no shard more than twice its fair share.
    for (const part of parts) expect(part.length).toBeLessThan((2 * all.length) / count + 5);
  });

  it('is deterministic and does not depend on the order of the hosts', () => {
    const all = hosts(200);
    const shard = { index: 1, count: 4 };
    const names = applyShard(all, shard).map((host) => host.name).sort();
    expect(applyShard([...all].reverse(), shard).map((host) => host.name).sort()).toEqual(names);
  });

  it('adding hosts moves no existing host, and adding a shard moves about 1/N of the hosts', () => {
    const before = hosts(1000);
    const after = [...hosts(50, 'db'), ...before];
    const shardIn = (list: { name: string }[], count: number) => {
      const of = new Map<string, number>();
      for (let index = 0; index < count; index++) for (const host of applyShard(list, { index, count })) of.set(host.name, index);
      return of;
    };
    const was = shardIn(before, 8);
    const is = shardIn(after, 8);
    expect(before.filter((host) => was.get(host.name) !== is.get(host.name))).toEqual([]);
    // N = 8 -> 9: only the hosts that go to the new shard move, about 1/9 of them.
    const moved = before.filter((host) => shardOf(host.name, 8) !== shardOf(host.name, 9));
    expect(moved.length).toBeGreaterThan(1000 / 9 / 2);
    expect(moved.length).toBeLessThan((1000 / 9) * 1.5);
    expect(moved.every((host) => shardOf(host.name, 9) === 8)).toBe(true);
  });
});
