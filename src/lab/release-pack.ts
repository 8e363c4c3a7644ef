import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { zipSync } from 'fflate';
import * as tar from 'tar';

export interface ArchiveEntry {
  content: string | Buffer;
  mode?: number;
}

/**
 * Writes a release archive in an upstream layout (tar.gz with folders, or a flat zip) into `releaseDir`
 * and records its sha256 line in the release's checksum file, as upstream publishes them.
 */
export async function packRelease(releaseDir: string, archiveName: string, entries: Record<string, ArchiveEntry>, checksumFile: string): Promise<string> {
  await mkdir(releaseDir, { recursive: true });
  const archivePath = join(releaseDir, archiveName);
  if (archiveName.endsWith('.zip')) {
    const files = Object.fromEntries(Object.entries(entries).map(([name, entry]) => [name, [Buffer.from(entry.content), { os: 3, attrs: ((entry.mode ?? 0o755) | 0o100000) << 16 }] as const]));
    await writeFile(archivePath, zipSync(files as never));
  } else {
    const staging = await mkdtemp(join(tmpdir(), 'fleet-pack-'));
    try {
      for (const [name, entry] of Object.entries(entries)) {
        await mkdir(dirname(join(staging, name)), { recursive: true });
        await writeFile(join(staging, name), entry.content);
        await chmod(join(staging, name), entry.mode ?? 0o755);
      }
      await tar.c({ gzip: true, file: archivePath, cwd: staging, portable: true }, Object.keys(entries));
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
  const sha256 = createHash('sha256').update(await readFile(archivePath)).digest('hex');
  const sumsPath = join(releaseDir, checksumFile);
  const existing = (await readFile(sumsPath, 'utf8').catch(() => '')).split('\n').filter((line) => line && !line.endsWith(`  ${archiveName}`));
  await writeFile(sumsPath, [...existing, `${sha256}  ${archiveName}`].join('\n') + '\n');
  return sha256;
}
