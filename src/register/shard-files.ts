import { shellQuote } from '../connection/quote.ts';
import type { Connection } from '../connection/ssh.ts';
import { shardLabel, type Shard } from '../inventory/shard.ts';
import type { FleetJob } from './targets.ts';

/**
 * The file_sd file a run writes for a job: `fleet-node.json` without --shard, `fleet-node.shard-K-of-N.json`
 * with it, so concurrent shards never overwrite each other's targets.
 */
export function targetFileName(job: FleetJob, shard: Shard | undefined): string {
  return shard ? `${job.name}.${shardLabel(shard)}.json` : job.file;
}

/** What prometheus.yml names for a job: every file of the job, sharded or not (file_sd globs the last path element). */
export function targetFileGlob(job: FleetJob): string {
  return `${job.name}*.json`;
}

const SHARD_FILE = /^fleet-(node|alloy)\.shard-\d+-of-\d+\.json$/;

/** The shard files of fleet's jobs in the file_sd directory (other files there are not fleet's to remove). */
export async function listShardFiles(connection: Connection, fileSdDir: string, jobs: readonly FleetJob[]): Promise<string[]> {
  const names = jobs.map((job) => shellQuote(`${job.name}.shard-*-of-*.json`)).join(' -o -name ');
  const result = await connection.exec(`find ${shellQuote(fileSdDir)} -maxdepth 1 -type f \\( -name ${names} \\) 2>/dev/null`);
  return result.stdout
    .split('\n')
    .map((line) => line.slice(line.lastIndexOf('/') + 1))
    .filter((name) => SHARD_FILE.test(name))
    .sort()
    .map((name) => `${fileSdDir}/${name}`);
}
