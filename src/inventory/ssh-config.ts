import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import SSHConfig from 'ssh-config';

/** The ~/.ssh/config values fleet honours, as ssh itself would compute them for `host`. */
export interface SshConfigEntry {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  proxyJump?: string;
  proxyCommand?: string;
  /** UserKnownHostsFile and GlobalKnownHostsFile, each a list (ssh records new keys in the first user file). */
  userKnownHostsFiles: string[];
  globalKnownHostsFiles: string[];
  /** The name ssh looks the host key up under instead of the host's. */
  hostKeyAlias?: string;
}

export type SshConfigLookup = (host: string) => SshConfigEntry;

/** Reads an ssh_config file; a missing file is an empty config, as for ssh. */
export function loadSshConfig(file: string = `${homedir()}/.ssh/config`): SshConfigLookup {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return () => ({ identityFiles: [], userKnownHostsFiles: [], globalKnownHostsFiles: [] });
  }
  const config = SSHConfig.parse(text);
  return (host) => {
    const computed = config.compute(host) as Record<string, string | string[] | undefined>;
    const one = (key: string) => {
      const value = computed[key];
      return Array.isArray(value) ? value[0] : value;
    };
    const identity = computed.IdentityFile;
    // A list value may come as one string of space-separated paths.
    const list = (key: string) => [computed[key] ?? []].flat().flatMap((value) => value.split(/\s+/)).filter(Boolean);
    const port = one('Port');
    const proxyJump = one('ProxyJump');
    const proxyCommand = one('ProxyCommand');
    return {
      hostName: one('HostName')?.replaceAll('%h', host),
      user: one('User'),
      port: port ? Number(port) : undefined,
      identityFiles: identity === undefined ? [] : Array.isArray(identity) ? identity : [identity],
      proxyJump: proxyJump && proxyJump.toLowerCase() !== 'none' ? proxyJump : undefined,
      proxyCommand: proxyCommand && proxyCommand.toLowerCase() !== 'none' ? proxyCommand : undefined,
      userKnownHostsFiles: list('UserKnownHostsFile'),
      globalKnownHostsFiles: list('GlobalKnownHostsFile'),
      hostKeyAlias: one('HostKeyAlias'),
    };
  };
}
