import { createHash, createHmac } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { globToRegExp } from '../glob.ts';

/** One known_hosts line that applies to a host: a plain key, a revoked key, or a certificate authority. */
export interface KnownKey {
  marker?: 'revoked' | 'cert-authority';
  type: string;
  key: string;
  /** 1-based line number, for messages the operator can act on. */
  line: number;
}

/**
 * The name known_hosts files use for a host: `host`, or `[host]:port` off port 22. Lower case, as
 * OpenSSH lowercases the host name before it looks it up (or hashes it).
 */
export function knownHostsName(host: string, port: number): string {
  const name = host.toLowerCase();
  return port === 22 ? name : `[${name}]:${port}`;
}

/** OpenSSH's fingerprint of a public key blob: SHA256 in unpadded base64. */
export function fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * Every line of a known_hosts file that applies to the host, with its marker (`@revoked`,
 * `@cert-authority`), matched as OpenSSH's hostfile.c does: plain and hashed (`|1|salt|hash`)
 * patterns, `*`/`?` globs, case-insensitive, and a matching `!pattern` excludes the whole line.
 */
export async function readKnownKeys(file: string, host: string, port: number): Promise<KnownKey[]> {
  return readKnownKeysNamed(file, knownHostsName(host, port));
}

/** Like readKnownKeys, for a name as known_hosts files it (ssh_config HostKeyAlias names one directly). */
export async function readKnownKeysNamed(file: string, name: string): Promise<KnownKey[]> {
  const parsed = await parsedKnownHostsFile(file);
  return parsed ? keysFor(parsed, name.toLowerCase()) : [];
}

export function knownKeysIn(text: string, name: string): KnownKey[] {
  return keysFor(parseKnownHosts(text), name);
}

interface KnownLine extends KnownKey {
  patterns: string;
}

/** A file's lines, those with only plain names indexed by name; globs, negations and hashed names are scanned. */
interface ParsedKnownHosts {
  byName: Map<string, KnownLine[]>;
  scanned: KnownLine[];
}

// A run looks up every host in the same files: parse each once (again only when it changed, e.g. after accept-new
// appended a key), instead of once per host, which grew with the square of the fleet.
const parsedFiles = new Map<string, { stamp: string; parsed: ParsedKnownHosts }>();

async function parsedKnownHostsFile(file: string): Promise<ParsedKnownHosts | undefined> {
  // Twice per host, for every file ssh would read (most hosts have no global one): a synchronous stat that
  // returns nothing for a missing file is a few microseconds, an ENOENT error built each time was not.
  let info: Stats | undefined;
  try {
    info = statSync(file, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
  if (!info) return undefined;
  const stamp = `${info.ino}:${info.size}:${info.mtimeMs}`;
  const cached = parsedFiles.get(file);
  if (cached?.stamp === stamp) return cached.parsed;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const parsed = parseKnownHosts(text);
  parsedFiles.set(file, { stamp, parsed });
  return parsed;
}

function parseKnownHosts(text: string): ParsedKnownHosts {
  const parsed: ParsedKnownHosts = { byName: new Map(), scanned: [] };
  text.split('\n').forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === '' || fields[0]!.startsWith('#')) return;
    let marker: KnownKey['marker'];
    if (fields[0]!.startsWith('@')) {
      const word = fields.shift()!;
      if (word === '@revoked') marker = 'revoked';
      else if (word === '@cert-authority') marker = 'cert-authority';
      // An unknown marker: OpenSSH skips the line, so do we.
      else return;
    }
    if (fields.length < 3) return;
    const [patterns, type, key] = fields as [string, string, string];
    const line: KnownLine = { ...(marker ? { marker } : {}), type, key, line: index + 1, patterns };
    const names = patterns.split(',');
    if (names.some((pattern) => /[*?!]/.test(pattern) || pattern.startsWith('|'))) {
      parsed.scanned.push(line);
      return;
    }
    for (const plain of new Set(names.map((pattern) => pattern.toLowerCase()))) {
      const lines = parsed.byName.get(plain) ?? [];
      lines.push(line);
      parsed.byName.set(plain, lines);
    }
  });
  return parsed;
}

function keysFor(parsed: ParsedKnownHosts, name: string): KnownKey[] {
  const candidates = [...(parsed.byName.get(name) ?? []), ...parsed.scanned.filter((line) => listMatches(line.patterns, name))];
  return candidates.sort((a, b) => a.line - b.line).map(({ patterns: _patterns, ...key }) => key);
}

/** A comma-separated pattern list matches when one pattern does and no `!pattern` does. */
function listMatches(patterns: string, name: string): boolean {
  let matched = false;
  for (const pattern of patterns.split(',')) {
    if (pattern.startsWith('!')) {
      if (patternMatches(pattern.slice(1), name)) return false;
    } else if (patternMatches(pattern, name)) {
      matched = true;
    }
  }
  return matched;
}

function patternMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  return globToRegExp(pattern.toLowerCase()).test(name);
}

/** Records a newly accepted key, as `ssh -o StrictHostKeyChecking=accept-new` does. */
export async function appendKnownKey(file: string, host: string, port: number, keyBlob: Buffer): Promise<void> {
  await appendKnownKeyNamed(file, knownHostsName(host, port), keyBlob);
}

export async function appendKnownKeyNamed(file: string, name: string, keyBlob: Buffer): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await appendFile(file, `${name} ${keyTypeOf(keyBlob)} ${keyBlob.toString('base64')}\n`, { mode: 0o600 });
}

/** The type name is the first length-prefixed string inside the key blob. */
export function keyTypeOf(keyBlob: Buffer): string {
  const length = keyBlob.readUInt32BE(0);
  return keyBlob.subarray(4, 4 + length).toString('ascii');
}
