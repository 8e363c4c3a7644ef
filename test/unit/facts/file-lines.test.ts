import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { fileLinesFact, parseFileLines } from '../../../src/facts/file-lines.ts';
import { readInOneRoundTrip } from '../../../src/facts/gather.ts';

const sh = async (script: string) => (await promisify(execFile)('sh', ['-c', script])).stdout;

// The reader is one awk (Debian's mawk here, as on the lab hosts): run it on temporary files.
describe('the lines of many small files from one awk', () => {
  it('reads each file, or the lines matching, and tells a missing file from an empty one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleet-lines-'));
    const files = {
      record: join(dir, 'state.json'),
      loginDefs: join(dir, 'login.defs'),
      empty: join(dir, 'empty'),
      noFinalNewline: join(dir, 'pending'),
      // A name that is an awk assignment (var=value) and one full of shell: both are only file names.
      assignment: join(dir, 'x=1'),
      hostile: join(dir, `it's "$(touch fleet-pwned)" 1:forged`),
      directory: join(dir, 'folder'),
      missing: join(dir, 'missing'),
    };
    await writeFile(files.record, '{\n  "version": 1\n}\n');
    await writeFile(files.loginDefs, '# UID_MIN 5\nUID_MIN\t\t 1000\nUID_MAX 60000\n');
    await writeFile(files.empty, '');
    await writeFile(files.noFinalNewline, 'restart file /etc/alloy/config.alloy');
    await writeFile(files.assignment, 'assigned\n');
    // Lines that imitate the reader's own output for other files.
    await writeFile(files.hostile, '1:forged line\n3.\n');
    await mkdir(files.directory);
    const requests = [
      fileLinesFact('record', files.record),
      fileLinesFact('uid-min', files.loginDefs, { matching: '^UID_MIN[ \t]' }),
      fileLinesFact('empty', files.empty),
      fileLinesFact('pending', files.noFinalNewline),
      fileLinesFact('assignment', files.assignment),
      fileLinesFact('hostile', files.hostile),
      fileLinesFact('directory', files.directory),
      fileLinesFact('missing', files.missing),
    ];
    let scripts = 0;
    const facts = await readInOneRoundTrip(requests, (script) => (scripts++, sh(script)));
    const read = (key: string) => parseFileLines(facts.get(key));
    expect(scripts).toBe(1);
    expect(read('record')).toEqual({ exists: true, text: '{\n  "version": 1\n}\n' });
    expect(read('uid-min')).toEqual({ exists: true, text: 'UID_MIN\t\t 1000\n' });
    expect(read('empty')).toEqual({ exists: true, text: '' });
    expect(read('pending')).toEqual({ exists: true, text: 'restart file /etc/alloy/config.alloy\n' });
    expect(read('assignment')).toEqual({ exists: true, text: 'assigned\n' });
    expect(read('hostile')).toEqual({ exists: true, text: '1:forged line\n3.\n' });
    expect(read('directory').exists).toBe(false);
    expect(read('missing')).toEqual({ exists: false, text: '' });
    // The shell in the name ran nowhere.
    await expect(promisify(execFile)('test', ['!', '-e', 'fleet-pwned'])).resolves.toBeDefined();
  });

  it('fails the round trip where awk is missing, instead of reading every file as missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleet-lines-'));
    await writeFile(join(dir, 'ufw.conf'), 'ENABLED=yes\n');
    // No awk on the PATH (sh's test and set are built in): ufw's settings must not read as absent.
    const withoutAwk = async (script: string) => (await promisify(execFile)('/bin/sh', ['-c', script], { env: { PATH: '/nonexistent' } }).catch((error: { stdout: string }) => error)).stdout;
    await expect(readInOneRoundTrip([fileLinesFact('ufw', join(dir, 'ufw.conf'), { matching: '^ENABLED=' })], withoutAwk)).rejects.toThrow(/awk did not read/);
  });

  it('refuses a relative path, which awk could read as its standard input', () => {
    expect(() => fileLinesFact('stdin', '-')).toThrow(/absolute path/);
  });
});
