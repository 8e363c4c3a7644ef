import { existsSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { UsageError } from '../errors.ts';
import type { Inventory } from './load.ts';
import { mergeLayers, type Layer } from './merge.ts';
import type { BecomeMethod, BecomeSettings, BootstrapSettings, HostKeyChecking, SshSettings } from './schema.ts';
import { loadSshConfig, type SshConfigEntry, type SshConfigLookup } from './ssh-config.ts';

/** Where and how to open an SSH session, after inventory, ~/.ssh/config and defaults are combined. */
export interface SshTarget {
  host: string;
  port: number;
  user: string;
  identityFiles: string[];
  agent?: string;
  /** The hop before this host: ProxyJump `a,b` is a chain (b's jump is a). */
  jump?: SshTarget;
  /** A ProxyCommand from ssh_config, run as ssh runs it when there is no jump. */
  proxyCommand?: string;
  connectTimeoutMs: number;
  /** The whole run on this host (connect, facts, changes, checks) must end within this. */
  hostTimeoutMs?: number;
  hostKeyChecking: HostKeyChecking;
  /** Where keys are looked up, and where accept-new records them. */
  knownHostsFile: string;
  /** Also read, never written, as ssh does: further UserKnownHostsFile entries and the GlobalKnownHostsFile ones. */
  moreKnownHostsFiles?: string[];
  /** ssh_config HostKeyAlias: the name the host's key is filed under. */
  hostKeyAlias?: string;
}

export interface Become {
  enabled: boolean;
  method: BecomeMethod;
  passwordEnv?: string;
  passwordPrompt: boolean;
}

/** The first login to a fresh host (`fleet bootstrap`); the deploy user is ssh.user. */
export interface BootstrapLogin {
  user: string;
  passwordEnv?: string;
  passwordPrompt: boolean;
  identityFiles: string[];
  authorizedKeyFile?: string;
  hardenSshd: boolean;
  sshdExtra?: string;
}

export interface ResolvedHost {
  name: string;
  address: string;
  groups: string[];
  ssh: SshTarget;
  become: Become;
  labels: Record<string, string>;
  vars: Record<string, unknown>;
  bootstrap: BootstrapLogin;
  /** Dotted setting path -> where its value came from (builtin, defaults, group NAME, host, ssh_config, -e). */
  sources: Record<string, string>;
}

export interface ResolveOptions {
  extraVars?: Record<string, unknown>;
  /** The lowest layer of vars: fleet's built-in component defaults. */
  builtinVars?: Record<string, unknown>;
  sshConfig?: SshConfigLookup;
}

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];
// Generous: an install downloads and verifies release binaries; a stuck host must still not hold the run forever.
const DEFAULT_HOST_TIMEOUT_S = 1800;

export function resolveHosts(inventory: Inventory, options: ResolveOptions = {}): ResolvedHost[] {
  const sshConfigFile = inventory.raw.ssh_config_file ? expandPath(inventory.raw.ssh_config_file, inventory.dir) : undefined;
  const sshConfig = options.sshConfig ?? loadSshConfig(sshConfigFile);
  return inventory.hosts.map((declared) => {
    const groups = inventory.groups
      .filter((group) => inventory.members.get(group)?.has(declared.name))
      .sort((a, b) => inventory.depth.get(a)! - inventory.depth.get(b)!);
    const settings = ({ ssh, become, labels, vars, bootstrap }: { ssh?: unknown; become?: unknown; labels?: unknown; vars?: unknown; bootstrap?: unknown }) => ({ ssh, become, labels, vars, bootstrap });
    const layers: Layer[] = [
      { source: 'builtin', values: { vars: options.builtinVars ?? {} } },
      { source: 'defaults', values: settings(inventory.raw.defaults ?? {}) },
      ...groups.map((group) => ({ source: `group ${group}`, values: settings(inventory.raw.groups?.[group] ?? {}) })),
      { source: 'host', values: settings(declared.entry) },
      { source: '-e', values: { vars: options.extraVars ?? {} } },
    ];
    const merged = mergeLayers(layers);
    const address = declared.entry.address ?? declared.name;
    const sources = { ...merged.sources, address: declared.entry.address ? 'host' : 'host name' };
    const ssh = resolveSshTarget(address, (merged.values.ssh ?? {}) as SshSettings, inventory.dir, sshConfig, sources, declared.name);
    return {
      name: declared.name,
      address,
      groups,
      ssh,
      become: resolveBecome((merged.values.become ?? {}) as BecomeSettings, ssh.user),
      labels: (merged.values.labels ?? {}) as Record<string, string>,
      vars: (merged.values.vars ?? {}) as Record<string, unknown>,
      bootstrap: resolveBootstrap((merged.values.bootstrap ?? {}) as BootstrapSettings, ssh, inventory.dir),
      sources,
    };
  });
}

function resolveBootstrap(settings: BootstrapSettings, ssh: SshTarget, baseDir: string): BootstrapLogin {
  const ownKey = ssh.identityFiles[0];
  return {
    user: settings.user ?? 'root',
    passwordEnv: settings.password_env,
    passwordPrompt: settings.password_prompt ?? false,
    identityFiles: settings.identity_file ? [expandPath(settings.identity_file, baseDir)] : [],
    authorizedKeyFile: settings.authorized_key_file ? expandPath(settings.authorized_key_file, baseDir) : ownKey ? `${ownKey}.pub` : undefined,
    hardenSshd: settings.harden_sshd ?? false,
    sshdExtra: settings.sshd_extra,
  };
}

function resolveBecome(settings: BecomeSettings, user: string): Become {
  // Root needs no sudo; everyone else becomes root unless told not to.
  return {
    enabled: settings.enabled ?? user !== 'root',
    method: settings.method ?? 'sudo',
    passwordEnv: settings.password_env,
    passwordPrompt: settings.password_prompt ?? false,
  };
}

function resolveSshTarget(
  address: string,
  settings: SshSettings,
  baseDir: string,
  sshConfig: SshConfigLookup,
  sources: Record<string, string>,
  hostName: string,
): SshTarget {
  const fromConfig = sshConfig(address);
  const note = (key: string, value: unknown) => {
    if (value !== undefined && sources[`ssh.${key}`] === undefined) sources[`ssh.${key}`] = 'ssh_config';
  };
  note('host_name', fromConfig.hostName);
  note('user', fromConfig.user);
  note('port', fromConfig.port);
  note('identity_file', fromConfig.identityFiles[0]);
  note('jump', fromConfig.proxyJump);

  const identityFiles = settings.identity_file
    ? [expandPath(settings.identity_file, baseDir)]
    : fromConfig.identityFiles.length > 0
      ? fromConfig.identityFiles.map((file) => expandPath(file, baseDir))
      : DEFAULT_KEYS.map((key) => `${homedir()}/.ssh/${key}`).filter((file) => existsSync(file));
  const agentSocket = process.env.SSH_AUTH_SOCK;
  const jumpSpec = settings.jump ?? fromConfig.proxyJump;
  const common = {
    connectTimeoutMs: (settings.connect_timeout ?? 10) * 1000,
    hostTimeoutMs: (settings.host_timeout ?? DEFAULT_HOST_TIMEOUT_S) * 1000,
    hostKeyChecking: settings.host_key_checking ?? 'strict',
    ...knownHostsFiles(settings.known_hosts_file, fromConfig, baseDir),
    agent: (settings.agent ?? true) && agentSocket ? agentSocket : undefined,
  };
  return {
    host: fromConfig.hostName ?? address,
    port: settings.port ?? fromConfig.port ?? 22,
    user: settings.user ?? fromConfig.user ?? userInfo().username,
    identityFiles,
    // An inventory jump replaces ssh_config's ProxyJump and ProxyCommand, as `ssh -J` does.
    jump: jumpSpec ? resolveJumpChain(jumpSpec, sshConfig, identityFiles, settings.user, common, hostName) : undefined,
    proxyCommand: settings.jump ? undefined : fromConfig.proxyCommand,
    hostKeyAlias: fromConfig.hostKeyAlias,
    ...common,
  };
}

type JumpCommon = Omit<SshTarget, 'host' | 'port' | 'user' | 'identityFiles' | 'jump' | 'proxyCommand' | 'hostKeyAlias'>;

// OpenSSH's defaults for UserKnownHostsFile and GlobalKnownHostsFile.
const USER_KNOWN_HOSTS = ['~/.ssh/known_hosts', '~/.ssh/known_hosts2'];
const GLOBAL_KNOWN_HOSTS = ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];

/**
 * The known_hosts files ssh would read for a host: the inventory's file or ssh_config's
 * UserKnownHostsFile list (new keys go to the first), and always the global files, so a key the
 * administrator revoked or pinned there counts for fleet too.
 */
function knownHostsFiles(inventoryFile: string | undefined, fromConfig: SshConfigEntry, baseDir: string): Pick<SshTarget, 'knownHostsFile' | 'moreKnownHostsFiles'> {
  const user = inventoryFile ? [inventoryFile] : fromConfig.userKnownHostsFiles.length ? fromConfig.userKnownHostsFiles : USER_KNOWN_HOSTS;
  const global = fromConfig.globalKnownHostsFiles.length ? fromConfig.globalKnownHostsFiles : GLOBAL_KNOWN_HOSTS;
  const [first, ...rest] = [...user, ...global].map((file) => expandPath(file, baseDir));
  return { knownHostsFile: first!, moreKnownHostsFiles: rest };
}

/**
 * ProxyJump `a,b` as OpenSSH runs it: connect to a, from there to b, from there to the host. The
 * first hop's own ssh_config ProxyJump (or ProxyCommand) applies to it; the later hops take theirs
 * from the list.
 */
function resolveJumpChain(spec: string, sshConfig: SshConfigLookup, identityFiles: string[], inventoryUser: string | undefined, common: JumpCommon, hostName: string, depth = 0): SshTarget {
  // OpenSSH stops at the same bound when ProxyJump entries in ssh_config lead into each other.
  if (depth > 8) throw new UsageError(`host ${hostName}: ssh.jump "${spec}" leads to more than 8 nested jump hosts (a ProxyJump loop in ssh_config?)`);
  const hops = spec.split(',').map((hop) => hop.trim());
  let previous: SshTarget | undefined;
  hops.forEach((hop, index) => {
    const target = resolveJump(hop, spec, sshConfig, identityFiles, inventoryUser, common, hostName);
    if (index === 0) {
      const own = sshConfig(hopAlias(hop));
      if (own.proxyJump) target.jump = resolveJumpChain(own.proxyJump, sshConfig, identityFiles, inventoryUser, common, hostName, depth + 1);
      else if (own.proxyCommand) target.proxyCommand = own.proxyCommand;
    } else {
      target.jump = previous;
    }
    previous = target;
  });
  return previous!;
}

const HOP = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:@]+)(?::(\d+))?$/;

function hopAlias(hop: string): string {
  return HOP.exec(hop)?.[2]?.replace(/^\[|\]$/g, '') ?? hop;
}

/**
 * A jump host is `[user@]host[:port]` or an ~/.ssh/config alias. It uses the target's keys and host key
 * policy, and the target's inventory user unless the spec or ~/.ssh/config names one.
 */
function resolveJump(hop: string, spec: string, sshConfig: SshConfigLookup, identityFiles: string[], inventoryUser: string | undefined, common: JumpCommon, hostName: string): SshTarget {
  const match = HOP.exec(hop);
  if (!match) throw new UsageError(`host ${hostName}: ssh.jump "${spec}": "${hop}" is not [user@]host[:port]`);
  const alias = match[2]!.replace(/^\[|\]$/g, '');
  const fromConfig = sshConfig(alias);
  return {
    host: fromConfig.hostName ?? alias,
    port: match[3] ? Number(match[3]) : fromConfig.port ?? 22,
    user: match[1] ?? fromConfig.user ?? inventoryUser ?? userInfo().username,
    identityFiles: fromConfig.identityFiles.length > 0 ? fromConfig.identityFiles.map((file) => expandPath(file, process.cwd())) : identityFiles,
    ...common,
    hostKeyAlias: fromConfig.hostKeyAlias,
  };
}

export function expandPath(path: string, baseDir: string): string {
  if (path === '~' || path.startsWith('~/')) return `${homedir()}${path.slice(1)}`;
  return isAbsolute(path) ? path : resolvePath(baseDir, path);
}
