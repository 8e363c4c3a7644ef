import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendKnownKey, fingerprint, readKnownKeys } from '../../../src/connection/known-hosts.ts';
import { writeTempFiles } from '../../helpers/temp-files.ts';

function makeKey(dir: string): { line: string; blob: Buffer } {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'key')]);
  const line = readFileSync(join(dir, 'key.pub'), 'utf8').trim();
  return { line, blob: Buffer.from(line.split(' ')[1]!, 'base64') };
}

describe('known_hosts', () => {
  it('finds plain, [host]:port and hashed entries, as written by ssh-keygen -H', async () => {
    const dir = writeTempFiles({});
    const key = makeKey(dir);
    const [type, data] = key.line.split(' ');
    const file = join(dir, 'known_hosts');
    writeFileSync(file, `10.0.0.1 ${type} ${data}\n[10.0.0.2]:2222 ${type} ${data}\nhashed.example ${type} ${data}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file]);
    expect(readFileSync(file, 'utf8')).not.toContain('hashed.example');
    expect(await readKnownKeys(file, 'hashed.example', 22)).toEqual([{ type, key: data }]);
    expect(await readKnownKeys(file, '10.0.0.2', 2222)).toEqual([{ type, key: data }]);
    expect(await readKnownKeys(file, '10.0.0.2', 22)).toEqual([]);
  });

  it('appends entries that OpenSSH itself reads back', async () => {
    const dir = writeTempFiles({});
    const key = makeKey(dir);
    const file = join(dir, 'known_hosts');
    await appendKnownKey(file, '10.0.0.3', 2200, key.blob);
    const found = execFileSync('ssh-keygen', ['-F', '[10.0.0.3]:2200', '-f', file], { encoding: 'utf8' });
    expect(found).toContain(key.line.split(' ')[1]);
    const sshFingerprint = execFileSync('ssh-keygen', ['-l', '-f', join(dir, 'key.pub')], { encoding: 'utf8' }).split(' ')[1];
    expect(fingerprint(key.blob)).toBe(sshFingerprint);
  });
});
