import { basename, dirname, extname, join } from 'node:path';
import { shardLabel, type Shard } from '../inventory/shard.ts';

/**
 * The metrics file of one shard's drift check: `fleet.prom` becomes `fleet.shard-K-of-N.prom`, so shards
 * writing into one textfile directory never overwrite each other (the collector reads every *.prom).
 */
export function shardMetricsFile(path: string, shard: Shard | undefined): string {
  if (!shard) return path;
  const extension = extname(path);
  return join(dirname(path), `${basename(path, extension)}.${shardLabel(shard)}${extension}`);
}
