import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HostKeyError, judgeHostKey, verifyHostKey } from '../../../src/connection/host-key-check.ts';
import { appendKnownKey, fingerprint, readKnownKeys } from '../../../src/connection/known-hosts.ts';
import type { SshTarget } from '../../../src/inventory/resolve.ts';
import { writeTempFiles } from '../../helpers/temp-files.ts';

interface Key {
  line: string;
  type: string;
  data: string;
  blob: Buffer;
}

function makeKey(dir: string, name = 'key', type = 'ed25519'): Key {
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', join(dir, name)]);
  const line = readFileSync(join(dir, `${name}.pub`), 'utf8').trim();
  const [keyType, data] = line.split(' ') as [string, string];
  return { line, type: keyType, data, blob: Buffer.from(data, 'base64') };
}

const target = (knownHostsFile: string, overrides: Partial<SshTarget> = {}): SshTarget => ({
  host: 'web1.example',
  port: 22,
  user: 'root',
  identityFiles: [],
  connectTimeoutMs: 1000,
  hostKeyChecking: 'strict',
  knownHostsFile,
  ...overrides,
});

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: HostKeyError) => error,
  );

describe('known_hosts', () => {
  it('finds plain, [host]:port and hashed entries, as written by ssh-keygen -H', async () => {
    const dir = writeTempFiles({});
    const { type, data } = makeKey(dir);
    const file = join(dir, 'known_hosts');
    writeFileSync(file, `10.0.0.1 ${type} ${data}\n[10.0.0.2]:2222 ${type} ${data}\nhashed.example ${type} ${data}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file]);
    expect(readFileSync(file, 'utf8')).not.toContain('hashed.example');
    expect(await readKnownKeys(file, 'hashed.example', 22)).toEqual([{ type, key: data, line: 3 }]);
    expect(await readKnownKeys(file, 'HASHED.Example', 22)).toEqual([{ type, key: data, line: 3 }]);
    expect(await readKnownKeys(file, '10.0.0.2', 2222)).toEqual([{ type, key: data, line: 2 }]);
    expect(await readKnownKeys(file, '10.0.0.2', 22)).toEqual([]);
  });

  it('matches host names case-insensitively, and [host]:port only off port 22, like ssh-keygen -F', async () => {
    const dir = writeTempFiles({});
    const { type, data } = makeKey(dir);
    const file = join(dir, 'known_hosts');
    writeFileSync(file, `Web1.Example.COM ${type} ${data}\n[*.lab]:2200 ${type} ${data}\n`);
    for (const [host, port, found] of [['web1.example.com', 22, true], ['WEB1.EXAMPLE.COM', 22, true], ['db.lab', 2200, true], ['db.lab', 22, false]] as const) {
      expect((await readKnownKeys(file, host, port)).length > 0, `${host}:${port}`).toBe(found);
      const name = port === 22 ? host : `[${host}]:${port}`;
      const ssh = execFileSync('sh', ['-c', `ssh-keygen -F '${name}' -f ${file} || true`], { encoding: 'utf8' });
      expect(ssh.includes(data), `ssh-keygen -F ${name}`).toBe(found);
    }
  });

  it('a matching !pattern excludes the line, whatever else on it matches', async () => {
    const dir = writeTempFiles({});
    const { type, data } = makeKey(dir);
    const file = join(dir, 'known_hosts');
    writeFileSync(file, `*.example,!evil.example ${type} ${data}\n`);
    expect(await readKnownKeys(file, 'good.example', 22)).toHaveLength(1);
    expect(await readKnownKeys(file, 'evil.example', 22)).toEqual([]);
    expect(await readKnownKeys(file, 'EVIL.example', 22)).toEqual([]);
  });

  it('reads the @revoked and @cert-authority markers and skips unknown ones', async () => {
    const dir = writeTempFiles({});
    const { type, data } = makeKey(dir);
    const file = join(dir, 'known_hosts');
    writeFileSync(file, `# comment\n@revoked * ${type} ${data}\n@cert-authority *.example ${type} ${data}\n@future web1.example ${type} ${data}\n`);
    expect(await readKnownKeys(file, 'web1.example', 22)).toEqual([
      { marker: 'revoked', type, key: data, line: 2 },
      { marker: 'cert-authority', type, key: data, line: 3 },
    ]);
  });

  it('appends entries that OpenSSH itself reads back', async () => {
    const dir = writeTempFiles({});
    const key = makeKey(dir);
    const file = join(dir, 'known_hosts');
    await appendKnownKey(file, '10.0.0.3', 2200, key.blob);
    const found = execFileSync('ssh-keygen', ['-F', '[10.0.0.3]:2200', '-f', file], { encoding: 'utf8' });
    expect(found).toContain(key.data);
    const sshFingerprint = execFileSync('ssh-keygen', ['-l', '-f', join(dir, 'key.pub')], { encoding: 'utf8' }).split(' ')[1];
    expect(fingerprint(key.blob)).toBe(sshFingerprint);
  });
});

describe('checking the key a host offers (OpenSSH semantics)', () => {
  const setup = (content: (keys: { ed: Key; other: Key; ecdsa: Key }) => string) => {
    const dir = writeTempFiles({});
    const keys = { ed: makeKey(dir, 'ed'), other: makeKey(dir, 'other'), ecdsa: makeKey(dir, 'ecdsa', 'ecdsa') };
    const file = join(dir, 'known_hosts');
    writeFileSync(file, content(keys));
    return { file, keys };
  };

  it('accepts the known key and refuses a revoked one even when it is also listed as known', async () => {
    const { file, keys } = setup(({ ed }) => `web1.example ${ed.type} ${ed.data}\n@revoked web1.example ${ed.type} ${ed.data}\n`);
    const error = await refusal(verifyHostKey(target(file), keys.ed.blob));
    expect(error.verdict).toBe('revoked');
    expect(error.message).toBe(`host key for web1.example is REVOKED: the host offered ${keys.ed.type} ${fingerprint(keys.ed.blob)}, which is marked @revoked at ${file}:2. Refusing to connect.`);
    // accept-new does not record a revoked key either.
    expect((await refusal(verifyHostKey(target(file, { hostKeyChecking: 'accept-new' }), keys.ed.blob))).verdict).toBe('revoked');
    writeFileSync(file, `web1.example ${keys.ed.type} ${keys.ed.data}\n`);
    expect(await verifyHostKey(target(file), keys.ed.blob)).toBeUndefined();
  });

  it('a different key of the same type is CHANGED; only keys of another type is "unknown type", not an attack', async () => {
    const { file, keys } = setup(({ other }) => `web1.example ${other.type} ${other.data}\n`);
    const changed = await refusal(verifyHostKey(target(file), keys.ed.blob));
    expect(changed.verdict).toBe('changed');
    expect(changed.message).toContain('has CHANGED');
    const { file: ecdsaOnly } = setup(({ ecdsa }) => `web1.example ${ecdsa.type} ${ecdsa.data}\n`);
    const unknownType = await refusal(verifyHostKey(target(ecdsaOnly), keys.ed.blob));
    expect(unknownType.verdict).toBe('unknown-type');
    expect(unknownType.message).toContain(`host key for web1.example is of an unknown type: the host offered ssh-ed25519 ${fingerprint(keys.ed.blob)}, and known_hosts has only ecdsa-sha2-nistp256 keys for it (${ecdsaOnly}:1)`);
    expect(unknownType.message).not.toMatch(/CHANGED|attack/);
    // accept-new adds a key of a new type next to the known one, as ssh -o StrictHostKeyChecking=accept-new does.
    expect(await verifyHostKey(target(ecdsaOnly, { hostKeyChecking: 'accept-new' }), keys.ed.blob)).toMatch(/^ssh-ed25519 SHA256:/);
    expect(readFileSync(ecdsaOnly, 'utf8').split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('a host vouched for only by @cert-authority is refused with a clear message, never accepted silently', async () => {
    const { file, keys } = setup(({ other }) => `@cert-authority *.example ${other.type} ${other.data}\n`);
    for (const policy of ['strict', 'accept-new'] as const) {
      const error = await refusal(verifyHostKey(target(file, { hostKeyChecking: policy }), keys.ed.blob));
      expect(error.verdict).toBe('certificate-only');
      expect(error.message).toMatch(/can only be checked through a host certificate \(@cert-authority at \S+known_hosts:1\), and fleet cannot verify host certificates/);
    }
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('a !pattern keeps a line from vouching for an excluded host', async () => {
    const { file, keys } = setup(({ ed }) => `*.example,!web1.example ${ed.type} ${ed.data}\n`);
    expect((await refusal(verifyHostKey(target(file), keys.ed.blob))).verdict).toBe('unknown');
    expect(await verifyHostKey(target(file, { host: 'web2.example' }), keys.ed.blob)).toBeUndefined();
  });

  it('reads the global known_hosts files too: a key revoked or pinned there counts, new keys go to the user file', async () => {
    const { file, keys } = setup(() => '');
    const global = `${file}.global`;
    writeFileSync(global, `@revoked * ${keys.other.type} ${keys.other.data}\nweb1.example ${keys.ed.type} ${keys.ed.data}\n`);
    const withGlobal = target(file, { moreKnownHostsFiles: [global], hostKeyChecking: 'accept-new' });
    expect(await verifyHostKey(withGlobal, keys.ed.blob)).toBeUndefined();
    expect((await refusal(verifyHostKey(withGlobal, keys.other.blob))).message).toContain(`is marked @revoked at ${global}:1`);
    // Another ed25519 key than the one pinned globally is a changed key, never recorded by accept-new.
    const third = makeKey(writeTempFiles({}), 'third');
    const changed = await refusal(verifyHostKey(withGlobal, third.blob));
    expect(changed.verdict).toBe('changed');
    expect(changed.message).toContain(`ssh-keygen -f ${global} -R 'web1.example'`);
    expect(readFileSync(file, 'utf8')).toBe('');
  });

  it('looks the key up, and records it, under ssh_config HostKeyAlias instead of the address', async () => {
    const { file, keys } = setup(({ ed }) => `web-alias ${ed.type} ${ed.data}\n`);
    expect(await verifyHostKey(target(file, { host: '10.0.0.7', port: 2222, hostKeyAlias: 'Web-Alias' }), keys.ed.blob)).toBeUndefined();
    expect((await refusal(verifyHostKey(target(file, { host: '10.0.0.7', port: 2222 }), keys.ed.blob))).verdict).toBe('unknown');
    await verifyHostKey(target(file, { hostKeyAlias: 'new-alias', hostKeyChecking: 'accept-new' }), keys.other.blob);
    expect(execFileSync('ssh-keygen', ['-F', 'new-alias', '-f', file], { encoding: 'utf8' })).toContain(keys.other.data);
  });

  it('judges from the entries alone (pure)', () => {
    const dir = writeTempFiles({});
    const ed = makeKey(dir, 'ed');
    expect(judgeHostKey([], ed.blob)).toBe('unknown');
    expect(judgeHostKey([{ type: ed.type, key: ed.data, line: 1 }], ed.blob)).toBe('known');
  });
});
