import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { text } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { ExternalError } from '../errors.ts';
import { parseChecksums } from './checksums.ts';
import { fetchAndRead } from './http-get.ts';
import { unzipMember } from './unzip-member.ts';

/** Where release archives are kept on the controller: one download per archive, however many hosts. */
export function artifactCacheDir(): string {
  return process.env.FLEET_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'fleet', 'artifacts');
}

export interface CachedBinary {
  path: string;
  sha256: string;
}

export class ChecksumMismatch extends ExternalError {
  override name = 'ChecksumMismatch';
}

/** Hashes a file through one reused buffer: no garbage per chunk, so hashing 100s of MB leaves the heap alone. */
async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await file.close();
  }
  return hash.digest('hex');
}

async function download(url: string, destination: string): Promise<string> {
  await mkdir(dirname(destination), { recursive: true });
  return fetchAndRead(url, url, async (body) => {
    const hash = createHash('sha256');
    const hashing = new Transform({ transform: (chunk, _encoding, done) => (hash.update(chunk), done(null, chunk)) });
    const partial = `${destination}.part-${randomBytes(4).toString('hex')}`;
    try {
      await pipeline(Readable.fromWeb(body), hashing, createWriteStream(partial));
      await rename(partial, destination);
    } finally {
      await rm(partial, { force: true });
    }
    return hash.digest('hex');
  });
}

/**
 * The controller's artifact cache. Each archive is fetched once per process (concurrent hosts share
 * the promise) and kept on disk under its sha256, so later runs do not download it again.
 */
export class ArtifactCache {
  private readonly pending = new Map<string, Promise<unknown>>();

  constructor(readonly dir = artifactCacheDir()) {}

  private once<T>(key: string, work: () => Promise<T>): Promise<T> {
    if (!this.pending.has(key)) this.pending.set(key, work());
    return this.pending.get(key) as Promise<T>;
  }

  /** The checksum file of a release, by asset name. */
  checksums(url: string): Promise<Map<string, string>> {
    return this.once(`sums ${url}`, async () => {
      return parseChecksums(await fetchAndRead(url, `the checksum file ${url}`, (body) => text(body)));
    });
  }

  /** The archive, downloaded if absent and verified against `sha256` before anything reads it. */
  archive(url: string, sha256: string): Promise<string> {
    return this.once(`archive ${sha256}`, async () => {
      const path = join(this.dir, sha256, basename(new URL(url).pathname));
      if (existsSync(path) && (await sha256File(path)) === sha256) return path;
      const actual = await download(url, path);
      if (actual !== sha256) {
        await rm(path, { force: true });
        throw new ChecksumMismatch(`checksum mismatch for ${url}: expected ${sha256}, downloaded ${actual}; refusing to install it`);
      }
      return path;
    });
  }

  /**
   * One file out of a verified archive (tar.gz or zip), unpacked once next to it. An unpacked copy
   * from an earlier run is hashed again first: one changed on disk since is unpacked anew.
   */
  binary(url: string, sha256: string, member: string): Promise<CachedBinary> {
    return this.once(`binary ${sha256} ${member}`, async () => {
      const archive = await this.archive(url, sha256);
      const path = join(this.dir, sha256, 'unpacked', member);
      const marker = `${path}.sha256`;
      if (existsSync(marker) && existsSync(path)) {
        const recorded = (await readFile(marker, 'utf8')).trim();
        if ((await sha256File(path)) === recorded) return { path, sha256: recorded };
        await rm(path, { force: true });
      }
      await mkdir(dirname(path), { recursive: true });
      // Unpacked in a private folder, then renamed into place: controllers sharing the cache (sharded runs
      // on one machine) must never upload a copy another one is still writing.
      const scratch = join(this.dir, sha256, `unpacking-${randomBytes(4).toString('hex')}`);
      await mkdir(scratch, { recursive: true });
      try {
        const unpacked = join(scratch, member);
        if (archive.endsWith('.zip')) {
          await mkdir(dirname(unpacked), { recursive: true });
          if (!(await unzipMember(archive, member, unpacked))) throw new ExternalError(`${basename(archive)} holds no ${member}`);
        } else {
          await tar.x({ file: archive, cwd: scratch, filter: (entry) => entry.replace(/^\.\//, '') === member });
          if (!existsSync(unpacked)) throw new ExternalError(`${basename(archive)} holds no ${member}`);
        }
        const binarySha = await sha256File(unpacked);
        await rename(unpacked, path);
        const partialMarker = `${marker}.part-${randomBytes(4).toString('hex')}`;
        await writeFile(partialMarker, `${binarySha}\n`);
        await rename(partialMarker, marker);
        return { path, sha256: binarySha };
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    });
  }
}
