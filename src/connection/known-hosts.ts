import { createHash, createHmac } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { globToRegExp } from '../glob.ts';

export interface KnownKey {
  type: string;
  key: string;
}

/** The name known_hosts files use for a host: `host`, or `[host]:port` off port 22. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** OpenSSH's fingerprint of a public key blob: SHA256 in unpadded base64. */
export function fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** Every key a known_hosts file holds for the host, plain and hashed (`|1|salt|hash`) entries alike. */
export async function readKnownKeys(file: string, host: string, port: number): Promise<KnownKey[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return [];
  }
  const name = knownHostsName(host, port);
  const keys: KnownKey[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 3 || fields[0]!.startsWith('#') || fields[0]!.startsWith('@')) continue;
    const [patterns, type, key] = fields as [string, string, string];
    if (patterns.split(',').some((pattern) => patternMatches(pattern, name))) keys.push({ type, key });
  }
  return keys;
}

function patternMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  if (pattern.startsWith('!')) return false;
  return globToRegExp(pattern).test(name);
}

/** Records a newly accepted key, as `ssh -o StrictHostKeyChecking=accept-new` does. */
export async function appendKnownKey(file: string, host: string, port: number, keyBlob: Buffer): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await appendFile(file, `${knownHostsName(host, port)} ${keyTypeOf(keyBlob)} ${keyBlob.toString('base64')}\n`, { mode: 0o600 });
}

/** The type name is the first length-prefixed string inside the key blob. */
export function keyTypeOf(keyBlob: Buffer): string {
  const length = keyBlob.readUInt32BE(0);
  return keyBlob.subarray(4, 4 + length).toString('ascii');
}
