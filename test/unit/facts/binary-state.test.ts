import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { binaryStateCommand, parseBinaryState, VERIFY_HASHES_PREAMBLE, writeRecordCommand } from '../../../src/facts/binary-state.ts';

const sh = async (script: string) => (await promisify(execFile)('sh', ['-c', script])).stdout;
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

// The fact and record commands are plain POSIX shell with GNU stat: run them here on a temporary file.
describe('binary state: the recorded hash stands only while size, times and inode match', () => {
  it('hashes without a record, trusts a fresh record, and hashes again after a same-size, same-mtime replacement', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleet-binary-'));
    const binary = join(dir, 'tool');
    const record = join(dir, 'records', 'tool.identity');
    await writeFile(binary, 'version one\n');
    const read = async (preamble = '') => parseBinaryState(await sh(preamble + binaryStateCommand(binary, record)));

    expect(await read()).toMatchObject({ exists: true, type: 'file', sha256: sha('version one\n'), hashedFrom: 'content' });
    await sh(writeRecordCommand(binary, record, sha('version one\n')));
    expect(await read()).toMatchObject({ sha256: sha('version one\n'), hashedFrom: 'record' });
    // The record is what the fact reads: a forged hash in it is believed while the identity matches...
    const forged = (await readFile(record, 'utf8')).replace(/\S+\n$/, `${'0'.repeat(64)}\n`);
    await writeFile(record, forged);
    expect((await read()).sha256).toBe('0'.repeat(64));
    // ...and the forced full hash ignores it.
    expect(await read(`${VERIFY_HASHES_PREAMBLE}\n`)).toMatchObject({ sha256: sha('version one\n'), hashedFrom: 'content' });

    // Another binary of the same size and mtime, moved into place: ctime and inode differ.
    await writeFile(join(dir, 'other'), 'version two\n');
    await sh(`touch -r ${binary} ${join(dir, 'other')}`);
    await rename(join(dir, 'other'), binary);
    expect(await read()).toMatchObject({ sha256: sha('version two\n'), hashedFrom: 'content' });
  });

  it('refreshing a stale record uses the identity seen when hashing, so a later change is still noticed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleet-binary-'));
    const binary = join(dir, 'tool');
    const record = join(dir, 'tool.identity');
    await writeFile(binary, 'a\n');
    const seen = parseBinaryState(await sh(binaryStateCommand(binary, record)));
    await writeFile(binary, 'b\n');
    await sh(writeRecordCommand(binary, record, seen.sha256!, seen.identity));
    expect(parseBinaryState(await sh(binaryStateCommand(binary, record)))).toMatchObject({ sha256: sha('b\n'), hashedFrom: 'content' });
  });

  it('reports absent paths and directories', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleet-binary-'));
    expect(parseBinaryState(await sh(binaryStateCommand(join(dir, 'none'), join(dir, 'r'))))).toEqual({ exists: false });
    expect(parseBinaryState(await sh(binaryStateCommand(dir, join(dir, 'r'))))).toMatchObject({ type: 'directory', sha256: undefined });
  });
});
