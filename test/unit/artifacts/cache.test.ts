import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactCache } from '../../../src/artifacts/cache.ts';

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

describe('the artifact cache on a converged run', () => {
  let root: string;
  let server: Server;
  let base: string;
  const requests: string[] = [];
  let sums = '';
  let archiveSha = '';
  const binary = '#!/bin/sh\necho tool 1.0.0\n';

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'fleet-cache-'));
    await mkdir(join(root, 'release', 'tool-1.0.0'), { recursive: true });
    await writeFile(join(root, 'release', 'tool-1.0.0', 'tool'), binary, { mode: 0o755 });
    await tar.c({ gzip: true, file: join(root, 'tool.tar.gz'), cwd: join(root, 'release') }, ['tool-1.0.0/tool']);
    archiveSha = sha256(await readFile(join(root, 'tool.tar.gz')));
    sums = `${archiveSha}  tool.tar.gz\n`;
    server = createServer(async (request, response) => {
      requests.push(request.url!);
      if (request.url === '/sums') response.end(sums);
      else if (request.url === '/tool.tar.gz') response.end(await readFile(join(root, 'tool.tar.gz')));
      else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(root, { recursive: true, force: true });
  });

  it('knows the expected binary from its records: no download and no read of the archive', async () => {
    const dir = join(root, 'cache');
    const first = new ArtifactCache(dir);
    expect(await first.checksumOf(`${base}/sums`, 'tool.tar.gz')).toBe(archiveSha);
    const installed = await first.binary(`${base}/tool.tar.gz`, archiveSha, 'tool-1.0.0/tool');
    expect(installed.sha256).toBe(sha256(binary));
    expect(requests).toEqual(['/sums', '/tool.tar.gz']);

    // The next run (a new process): the kept checksum file and the unpack record answer.
    requests.length = 0;
    const next = new ArtifactCache(dir);
    await rm(join(dir, archiveSha, 'tool.tar.gz'));
    expect(await next.checksumOf(`${base}/sums`, 'tool.tar.gz')).toBe(archiveSha);
    expect(await next.unpackedSha256(`${base}/tool.tar.gz`, archiveSha, 'tool-1.0.0/tool')).toBe(sha256(binary));
    expect(requests).toEqual([]);

    // Installing still verifies: the archive is gone, so it is downloaded again and checked.
    expect((await next.binary(`${base}/tool.tar.gz`, archiveSha, 'tool-1.0.0/tool')).sha256).toBe(sha256(binary));
    expect(requests).toEqual(['/tool.tar.gz']);
  });

  it('fetches the checksum file again for an asset its kept copy does not list', async () => {
    const dir = join(root, 'cache-2');
    await new ArtifactCache(dir).checksumOf(`${base}/sums`, 'tool.tar.gz');
    sums += `${'ab'.repeat(32)}  tool-arm64.tar.gz\n`;
    requests.length = 0;
    expect(await new ArtifactCache(dir).checksumOf(`${base}/sums`, 'tool-arm64.tar.gz')).toBe('ab'.repeat(32));
    expect(requests).toEqual(['/sums']);
    expect(await new ArtifactCache(dir).checksumOf(`${base}/sums`, 'tool-riscv64.tar.gz')).toBeUndefined();
  });
});
