import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactCache } from '../../../src/artifacts/cache.ts';
import { packRelease } from '../../../src/lab/release-pack.ts';
import { artifactResource } from '../../../src/resources/artifact.ts';
import { factsFrom } from '../../helpers/facts.ts';

const binaryFor = (arch: string) => `#!/bin/sh\necho built for ${arch}\n`;
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('artifact plan', () => {
  let server: Server;
  let base: string;
  let root: string;
  const downloads: string[] = [];
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'fleet-release-'));
    for (const arch of ['amd64', 'arm64']) {
      await packRelease(join(root, 'v1.2.3'), `tool-1.2.3.linux-${arch}.tar.gz`, { [`tool-1.2.3.linux-${arch}/tool`]: { content: binaryFor(arch) } }, 'sha256sums.txt');
    }
    await packRelease(join(root, 'v1.2.3'), 'alloy-linux-arm64.zip', { 'alloy-linux-arm64': { content: binaryFor('zip arm64') } }, 'SHA256SUMS');
    server = createServer((request, response) => {
      downloads.push(request.url!);
      const file = join(root, request.url!);
      if (!existsSync(file)) return void response.writeHead(404).end();
      createReadStream(file).pipe(response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const spec = () => ({
    name: 'tool',
    url: `${base}/v1.2.3/tool-1.2.3.linux-{arch}.tar.gz`,
    checksumsUrl: `${base}/v1.2.3/sha256sums.txt`,
    member: 'tool-1.2.3.linux-{arch}/tool',
    dest: '/usr/local/bin/tool',
    fetch: 'controller' as const,
    archs: ['amd64', 'arm64'],
  });

  it('picks the arm64 archive for an aarch64 host and compares the binary inside it', async () => {
    const cache = new ArtifactCache(await mkdtemp(join(tmpdir(), 'fleet-cache-')));
    const resource = artifactResource(spec(), cache);
    const installed = `regular file|755|root|root|${sha(binaryFor('arm64'))}`;
    const same = await resource.plan(factsFrom({ 'host:machine': 'aarch64', 'binary:/usr/local/bin/tool': installed }));
    expect(same).toEqual({ resource: 'artifact /usr/local/bin/tool', action: 'same', reason: 'binary matches tool-1.2.3.linux-arm64.tar.gz' });
    // The same binary on an amd64 host is the wrong one.
    const wrong = await resource.plan(factsFrom({ 'host:machine': 'x86_64', 'binary:/usr/local/bin/tool': installed }));
    expect(wrong).toMatchObject({ action: 'update', reason: expect.stringContaining('tool amd64 from') });
    expect(downloads.filter((url) => url.endsWith('.tar.gz'))).toEqual(['/v1.2.3/tool-1.2.3.linux-arm64.tar.gz', '/v1.2.3/tool-1.2.3.linux-amd64.tar.gz']);
  });

  it('plans against a mirror repacked since its checksum file was kept, and installing takes the new sums at once', async () => {
    const release = join(root, 'repacked');
    for (const arch of ['amd64', 'arm64']) await packRelease(release, `tool-1.2.3.linux-${arch}.tar.gz`, { [`tool-1.2.3.linux-${arch}/tool`]: { content: binaryFor(arch) } }, 'sha256sums.txt');
    const repacked = { ...spec(), url: `${base}/repacked/tool-1.2.3.linux-{arch}.tar.gz`, checksumsUrl: `${base}/repacked/sha256sums.txt` };
    const dir = await mkdtemp(join(tmpdir(), 'fleet-cache-'));
    const absent = { 'host:machine': 'aarch64', 'binary:/usr/local/bin/tool': 'absent' };
    // An amd64 run keeps the checksum file; the arm64 archive is then repacked (same name, new hash).
    await artifactResource(repacked, new ArtifactCache(dir)).plan(factsFrom({ ...absent, 'host:machine': 'x86_64' }));
    await packRelease(release, 'tool-1.2.3.linux-arm64.tar.gz', { 'tool-1.2.3.linux-arm64/tool': { content: binaryFor('arm64, repacked') } }, 'sha256sums.txt');

    // The next run's first arm64 host: the kept sum no longer matches the archive, which is not refused.
    const cache = new ArtifactCache(dir);
    expect(await artifactResource(repacked, cache).plan(factsFrom(absent))).toMatchObject({ action: 'create' });
    // Once installing has read the sums afresh (as apply does), planning in the same run (the re-check) uses them too.
    const fresh = (await cache.checksums(repacked.checksumsUrl)).get('tool-1.2.3.linux-arm64.tar.gz');
    expect(await cache.checksumOf(repacked.checksumsUrl, 'tool-1.2.3.linux-arm64.tar.gz')).toBe(fresh);
    const installed = `regular file|755|root|root|${sha(binaryFor('arm64, repacked'))}`;
    expect(await artifactResource(repacked, cache).plan(factsFrom({ ...absent, 'binary:/usr/local/bin/tool': installed }))).toMatchObject({ action: 'same' });
  });

  it('refuses an architecture the project does not publish', async () => {
    const resource = artifactResource(spec(), new ArtifactCache(await mkdtemp(join(tmpdir(), 'fleet-cache-'))));
    await expect(resource.plan(factsFrom({ 'host:machine': 'armv7l', 'binary:/usr/local/bin/tool': 'absent' }))).rejects.toThrow('tool publishes no release for armv7l (armv7); it has amd64, arm64');
  });

  it('reads a flat zip (the Alloy layout) verified against an upper-case SHA256SUMS', async () => {
    const resource = artifactResource(
      { ...spec(), name: 'alloy', url: `${base}/v1.2.3/alloy-linux-{arch}.zip`, checksumsUrl: `${base}/v1.2.3/SHA256SUMS`, member: 'alloy-linux-{arch}', dest: '/usr/local/bin/alloy' },
      new ArtifactCache(await mkdtemp(join(tmpdir(), 'fleet-cache-'))),
    );
    const plan = await resource.plan(factsFrom({ 'host:machine': 'aarch64', 'binary:/usr/local/bin/alloy': `regular file|755|root|root|${sha(binaryFor('zip arm64'))}` }));
    expect(plan.action).toBe('same');
  });
});
