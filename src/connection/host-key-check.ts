import type { SshTarget } from '../inventory/resolve.ts';
import { HostError } from './errors.ts';
import { appendKnownKeyNamed, fingerprint, keyTypeOf, knownHostsName, readKnownKeysNamed, type KnownKey } from './known-hosts.ts';

/**
 * What known_hosts says about the key a host offered, in OpenSSH's terms (sshconnect.c
 * check_host_key): known, revoked, changed (another key of the same type is known), unknown type
 * (only keys of other types are known), unknown, or known only through a certificate authority.
 */
export type HostKeyVerdict = 'known' | 'revoked' | 'changed' | 'unknown-type' | 'unknown' | 'certificate-only';

export class HostKeyError extends HostError {
  constructor(
    readonly verdict: Exclude<HostKeyVerdict, 'known'>,
    message: string,
  ) {
    super('host-key', message);
  }
}

export function judgeHostKey(known: readonly KnownKey[], keyBlob: Buffer): HostKeyVerdict {
  const offered = keyBlob.toString('base64');
  // A revoked key is refused whatever else the file says about the host.
  if (known.some((entry) => entry.marker === 'revoked' && entry.key === offered)) return 'revoked';
  const plain = known.filter((entry) => entry.marker === undefined);
  if (plain.some((entry) => entry.key === offered)) return 'known';
  // ssh2 never negotiates host certificates, so a CA line cannot vouch for the plain key offered.
  if (known.some((entry) => entry.marker === 'cert-authority')) return 'certificate-only';
  const type = keyTypeOf(keyBlob);
  if (plain.some((entry) => entry.type === type)) return 'changed';
  return plain.length > 0 ? 'unknown-type' : 'unknown';
}

/** The key types known_hosts holds for a host, so the handshake can prefer them as OpenSSH does. */
export async function knownKeyTypes(target: SshTarget): Promise<string[]> {
  if (target.hostKeyChecking === 'off') return [];
  const known = await readKnownKeysFor(target);
  return [...new Set(known.filter((entry) => entry.marker === undefined).map((entry) => entry.type))];
}

/** The name the host's key is filed under: HostKeyAlias as it is, else `host` or `[host]:port` (OpenSSH sshconnect.c). */
function lookupName(target: SshTarget): string {
  return target.hostKeyAlias ? target.hostKeyAlias.toLowerCase() : knownHostsName(target.host, target.port);
}

type FiledKey = KnownKey & { file: string };

/** What every known_hosts file ssh would read says about the host: the user's files, then the global ones. */
async function readKnownKeysFor(target: SshTarget): Promise<FiledKey[]> {
  const files = [target.knownHostsFile, ...(target.moreKnownHostsFiles ?? [])];
  const name = lookupName(target);
  return (await Promise.all(files.map(async (file) => (await readKnownKeysNamed(file, name)).map((entry) => ({ ...entry, file }))))).flat();
}

/**
 * Resolves when the offered host key is acceptable under the target's policy, with the key's
 * description when it was just recorded (trust on first use); rejects with a HostKeyError.
 */
export async function verifyHostKey(target: SshTarget, keyBlob: Buffer): Promise<string | undefined> {
  if (target.hostKeyChecking === 'off') return undefined;
  const known = await readKnownKeysFor(target);
  const verdict = judgeHostKey(known, keyBlob);
  if (verdict === 'known') return undefined;
  const name = lookupName(target);
  const type = keyTypeOf(keyBlob);
  const described = `${type} ${fingerprint(keyBlob)}`;
  const file = target.knownHostsFile;
  const where = (entries: FiledKey[]) => [...new Set(entries.map((entry) => `${entry.file}:${entry.line}`))].join(', ');
  const addIt = `Check it, then add it with ssh-keyscan -t ${type} -p ${target.port} ${target.host} >> ${file}`;
  switch (verdict) {
    case 'revoked':
      throw new HostKeyError(verdict, `host key for ${name} is REVOKED: the host offered ${described}, which is marked @revoked at ${where(known.filter((entry) => entry.marker === 'revoked'))}. Refusing to connect.`);
    case 'changed': {
      const sameType = known.filter((entry) => entry.marker === undefined && entry.type === type);
      throw new HostKeyError(
        verdict,
        `host key for ${name} has CHANGED: the host offered ${described}, which does not match the ${type} key at ${where(sameType)}. ` +
          `This may be an attack; if the host was reinstalled, remove the old entry with: ssh-keygen -f ${sameType[0]!.file} -R '${name}'`,
      );
    }
    case 'certificate-only':
      throw new HostKeyError(
        verdict,
        `host key for ${name} can only be checked through a host certificate (@cert-authority at ${where(known.filter((entry) => entry.marker === 'cert-authority'))}), ` +
          `and fleet cannot verify host certificates: the host offered the plain key ${described}. ${addIt}`,
      );
    case 'unknown-type':
      if (target.hostKeyChecking === 'accept-new') break;
      throw new HostKeyError(
        verdict,
        `host key for ${name} is of an unknown type: the host offered ${described}, and known_hosts has only ${[...new Set(known.map((entry) => entry.type))].join(', ')} keys for it (${where(known)}). ${addIt}`,
      );
    case 'unknown':
      if (target.hostKeyChecking === 'accept-new') break;
      throw new HostKeyError(verdict, `host key for ${name} is unknown: the host offered ${described}. ${addIt}, or set ssh.host_key_checking: accept-new`);
  }
  // accept-new: record a key for a host (or a key type) not seen before, as OpenSSH does.
  await appendKnownKeyNamed(file, name, keyBlob);
  return described;
}
