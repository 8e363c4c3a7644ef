import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { unzipMember } from '../../../src/artifacts/unzip-member.ts';

const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

describe.each([
  ['with the system unzip where present', {}],
  ['in process (fflate, streaming)', { systemUnzip: false }],
])('unzipMember %s', (_name, options) => {
  it('writes the one member asked for, byte for byte, from a deflated archive of several members', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleet-unzip-'));
    // Several MB, part random (incompressible) and part repetitive, so inflating spans many chunks.
    const binary = Buffer.concat([randomBytes(3 << 20), Buffer.alloc(3 << 20, 'alloy'), randomBytes(1 << 20)]);
    const archive = join(dir, 'alloy-linux-amd64.zip');
    await writeFile(archive, zipSync({ 'README.md': Buffer.from('read me\n'), 'alloy-linux-amd64': binary, 'LICENSE': Buffer.from('license\n') }, { level: 6 }));
    expect(await unzipMember(archive, 'alloy-linux-amd64', join(dir, 'alloy'), options)).toBe(true);
    expect(sha(await readFile(join(dir, 'alloy')))).toBe(sha(binary));
    expect(await unzipMember(archive, 'LICENSE', join(dir, 'license'), options)).toBe(true);
    expect(await readFile(join(dir, 'license'), 'utf8')).toBe('license\n');
  });

  it('says so when the archive holds no such member', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleet-unzip-'));
    const archive = join(dir, 'a.zip');
    await writeFile(archive, zipSync({ other: Buffer.from('x') }));
    expect(await unzipMember(archive, 'alloy-linux-amd64', join(dir, 'out'), options)).toBe(false);
  });
});

describe('unzipMember on a controller without unzip', () => {
  it('falls back to the in-process reader, without crashing on the failed spawn', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleet-unzip-'));
    const archive = join(dir, 'a.zip');
    await writeFile(archive, zipSync({ alloy: Buffer.from('the binary\n') }));
    const path = process.env.PATH;
    process.env.PATH = dir; // a folder with no unzip in it
    try {
      expect(await unzipMember(archive, 'alloy', join(dir, 'alloy'))).toBe(true);
    } finally {
      process.env.PATH = path;
    }
    expect(await readFile(join(dir, 'alloy'), 'utf8')).toBe('the binary\n');
  });
});
