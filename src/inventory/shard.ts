import { createHash } from 'node:crypto';
import { UsageError } from '../errors.ts';

/** One part of a partition of the hosts: shard `index` (0-based, as a Kubernetes completion index) of `count`. */
export interface Shard {
  index: number;
  count: number;
}

/** Parses `--shard K/N`: 0 <= K < N, both whole numbers. */
export function parseShard(value: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || !Number.isSafeInteger(index) || !Number.isSafeInteger(count) || count < 1 || index >= count) {
    throw new UsageError(`--shard ${value}: expected K/N with whole numbers 0 <= K < N (K counts from 0, like $JOB_COMPLETION_INDEX), e.g. --shard 0/4`);
  }
  return { index, count };
}

/** `shard-K-of-N`, the part of file names that keeps shards from overwriting each other. */
export function shardLabel(shard: Shard): string {
  return `shard-${shard.index}-of-${shard.count}`;
}

function weight(name: string, index: number): bigint {
  return createHash('sha256').update(`${index}\0${name}`).digest().readBigUInt64BE(0);
}

/**
 * The shard a host belongs to, by rendezvous (highest random weight) hashing of its name: it depends
 * only on the name and N, never on the other hosts or their order, so adding or removing a host moves
 * no other host, and changing N moves only about 1/N of them.
 */
export function shardOf(name: string, count: number): number {
  let best = 0;
  let bestWeight = -1n;
  for (let index = 0; index < count; index++) {
    const candidate = weight(name, index);
    if (candidate > bestWeight) [best, bestWeight] = [index, candidate];
  }
  return best;
}

/** The hosts of one shard, in their order; without a shard, all of them. */
export function applyShard<T extends { name: string }>(hosts: readonly T[], shard: Shard | undefined): T[] {
  if (!shard) return [...hosts];
  return hosts.filter((host) => shardOf(host.name, shard.count) === shard.index);
}
