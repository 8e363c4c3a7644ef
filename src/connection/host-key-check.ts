import type { SshTarget } from '../inventory/resolve.ts';
import { HostError } from './errors.ts';
import { appendKnownKey, fingerprint, keyTypeOf, knownHostsName, readKnownKeys } from './known-hosts.ts';

/**
 * Resolves when the offered host key is acceptable under the target's policy, with the key's
 * description when it was just recorded (trust on first use); rejects with a HostError.
 */
export async function verifyHostKey(target: SshTarget, keyBlob: Buffer): Promise<string | undefined> {
  if (target.hostKeyChecking === 'off') return undefined;
  const offered = keyBlob.toString('base64');
  const known = await readKnownKeys(target.knownHostsFile, target.host, target.port);
  if (known.some((entry) => entry.key === offered)) return undefined;
  const name = knownHostsName(target.host, target.port);
  const described = `${keyTypeOf(keyBlob)} ${fingerprint(keyBlob)}`;
  if (known.length > 0) {
    throw new HostError(
      'host-key',
      `host key for ${name} has CHANGED: the host offered ${described}, which does not match ${target.knownHostsFile}. ` +
        `This may be an attack; if the host was reinstalled, remove the old entry with: ssh-keygen -f ${target.knownHostsFile} -R '${name}'`,
    );
  }
  if (target.hostKeyChecking === 'accept-new') {
    await appendKnownKey(target.knownHostsFile, target.host, target.port, keyBlob);
    return described;
  }
  throw new HostError(
    'host-key',
    `host key for ${name} is unknown: the host offered ${described}. Check it, then add it with ` +
      `ssh-keyscan -p ${target.port} ${target.host} >> ${target.knownHostsFile}, or set ssh.host_key_checking: accept-new`,
  );
}
