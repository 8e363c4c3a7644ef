import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { text as readText } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { ExternalError } from '../errors.ts';
import { writeFileAtomically } from '../local/write-atomic.ts';
import { parseChecksums } from './checksums.ts';
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

// undici (the proxy-aware HTTP client) is loaded only when something is downloaded: a converged run never does.
const httpGet = () => import('./http-get.ts');

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
  const { fetchAndRead } = await httpGet();
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

  /** The checksum file of a release, by asset name, downloaded now (and kept for checksumOf). */
  checksums(url: string): Promise<Map<string, string>> {
    return this.once(`sums ${url}`, async () => {
      const { fetchAndRead } = await httpGet();
      const text = await fetchAndRead(url, `the checksum file ${url}`, (body) => readText(body));
      await writeAtomically(this.checksumsPath(url), text);
      const sums = parseChecksums(text);
      // Planning later in this run (the re-check after installing) goes by what installing went by.
      this.pending.set(`kept sums ${url}`, Promise.resolve(sums));
      return sums;
    });
  }

  /**
   * The sha256 of one asset from its release's checksum file, for planning. A pinned release's checksum
   * file does not change, so the copy kept from an earlier run answers without a download (a converged
   * run then makes no request at all); an asset that copy does not list fetches the file again.
   * Installing uses checksums(), which always downloads it.
   */
  async checksumOf(url: string, asset: string): Promise<string | undefined> {
    const kept = await this.once(`kept sums ${url}`, () => readFile(this.checksumsPath(url), 'utf8').then(parseChecksums, () => new Map<string, string>()));
    return kept.get(asset) ?? (await this.checksums(url)).get(asset);
  }

  private checksumsPath(url: string): string {
    return join(this.dir, 'checksums', `${createHash('sha256').update(url).digest('hex')}.txt`);
  }

  /**
   * The sha256 of `member` as unpacked from the archive with this sha256 by an earlier run, without
   * reading the archive or the binary: the record is written only after both were verified, and an
   * archive's content never changes under its hash. Planning needs no more; installing still goes
   * through binary(), which checks the copy it uploads. Unknown until the archive was unpacked once.
   */
  unpackedSha256(url: string, sha256: string, member: string): Promise<string> {
    // Read once per run for all hosts.
    return this.once(`unpacked sha256 ${sha256} ${member}`, async () => {
      const marker = `${join(this.dir, sha256, 'unpacked', member)}.sha256`;
      const recorded = (await readFile(marker, 'utf8').catch(() => '')).trim();
      return /^[0-9a-f]{64}$/.test(recorded) ? recorded : (await this.binary(url, sha256, member)).sha256;
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
        await writeAtomically(marker, `${binarySha}\n`);
        return { path, sha256: binarySha };
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    });
  }
}

/** Controllers sharing the cache (sharded runs on one machine) never read half a file. */
async function writeAtomically(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomically(path, content);
}
