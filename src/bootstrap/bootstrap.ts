import { readFile } from 'node:fs/promises';
import { HostError } from '../connection/errors.ts';
import { HostKeyError } from '../connection/host-key-check.ts';
import { Connection } from '../connection/ssh.ts';
import type { EventSink, HostOutcome } from '../engine/events.ts';
import { applyHostPlan, isChange, planHost, type HostProgram } from '../engine/host-plan.ts';
import { runOnHosts } from '../engine/run-hosts.ts';
import { UsageError } from '../errors.ts';
import type { ResolvedHost } from '../inventory/resolve.ts';
import { directoryResource } from '../resources/directory.ts';
import { editedFileResource } from '../resources/edited-file.ts';
import { fileResource } from '../resources/file.ts';
import { loginUserResource } from '../resources/login-user.ts';
import { requiredCommandResource } from '../resources/required-command.ts';
import type { Change } from '../resources/types.ts';
import { HARDENING_CONTENT, hardenSshd } from './sshd-hardening.ts';

export interface BootstrapResult {
  /** How fleet got in: the deploy user already worked, or the initial credentials were used. */
  loggedInAs: 'deploy' | 'initial';
  /** The host key recorded on first use (shown to the operator), if this run recorded one. */
  recordedHostKey?: string;
  changes: Change[];
}

/** Reads the public key to install; a missing file is an input error found before any connection. */
export async function readAuthorizedKey(host: ResolvedHost): Promise<string> {
  const file = host.bootstrap.authorizedKeyFile;
  if (!file) throw new UsageError(`host ${host.name}: no key to install for ${host.ssh.user}; set ssh.identity_file or bootstrap.authorized_key_file`);
  const key = (await readFile(file, 'utf8').catch(() => {
    throw new UsageError(`host ${host.name}: cannot read the public key ${file} (bootstrap.authorized_key_file)`);
  })).trim();
  if (!/^(ssh-|ecdsa-|sk-)\S+ \S+/.test(key)) throw new UsageError(`host ${host.name}: ${file} does not hold an OpenSSH public key`);
  return key.split('\n')[0]!;
}

/** What makes a fresh host manageable: sudo and curl, the deploy user, its key, and its sudo rights (checked by visudo). */
function bootstrapProgram(host: ResolvedHost, publicKey: string): HostProgram {
  const user = host.ssh.user;
  const home = user === 'root' ? '/root' : `/home/${user}`;
  const resources = [
    requiredCommandResource({ commands: ['sudo'], package: 'sudo' }),
    // The endpoint checks run on the host with curl (or wget); nothing else is needed there.
    requiredCommandResource({ commands: ['curl', 'wget'], package: 'curl' }),
    ...(user === 'root' ? [] : [loginUserResource({ name: user, home })]),
    directoryResource({ path: `${home}/.ssh`, mode: '0700', owner: user, group: user }),
    editedFileResource({
      path: `${home}/.ssh/authorized_keys`,
      // Other keys the account already has stay; fleet only adds its own line.
      edit: (current) => (current.split('\n').some((line) => line.trim() === publicKey) ? current : `${current}${current && !current.endsWith('\n') ? '\n' : ''}${publicKey}\n`),
      create: { mode: '0600', owner: user, group: user },
    }),
    ...(user === 'root'
      ? []
      : [fileResource({ path: `/etc/sudoers.d/fleet-${user}`, content: `# Managed by fleet bootstrap\n${user} ALL=(ALL:ALL) NOPASSWD: ALL\n`, mode: '0440', owner: 'root', group: 'root', validate: 'visudo -cf %s' })]),
  ];
  return { resources: resources.map((resource) => ({ resource })), checks: [] };
}

/** The same host, reached with the image's initial login, under the same host key policy as the deploy login. */
function initialLogin(host: ResolvedHost): ResolvedHost {
  const login = host.bootstrap;
  return {
    ...host,
    ssh: { ...host.ssh, user: login.user, identityFiles: login.identityFiles, agent: undefined },
    become: { enabled: login.user !== 'root', method: 'sudo', passwordPrompt: false },
  };
}

/** A fresh session as the deploy user with its key that can sudo: the proof that bootstrap worked. */
async function confirmDeployLogin(host: ResolvedHost): Promise<void> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.open(host.ssh, { become: { enabled: host.ssh.user !== 'root' } });
    await connection.execChecked('sudo as the deploy user', 'true', { sudo: true });
  } catch (error) {
    throw new HostError('auth', `a new login as ${host.ssh.user} with its key does not work: ${(error as Error).message}`);
  } finally {
    connection?.close();
  }
}

export interface BootstrapOptions {
  forks: number;
  emit: EventSink;
  /** Initial passwords by host name (from the environment or one prompt). */
  passwords: ReadonlyMap<string, string>;
  publicKeys: ReadonlyMap<string, string>;
  /**
   * --trust-new-host-keys: under ssh.host_key_checking strict, record the key a host offers on
   * first contact (printed) instead of refusing it. Without it no password goes to an unchecked host.
   */
  trustNewHostKeys?: boolean;
}

/**
 * Makes fresh hosts manageable. A host where the deploy user already logs in and sudoes is only
 * checked (changes nothing); otherwise fleet logs in with the initial credentials, creates the deploy
 * user with its key and sudo rights, proves a new key login works, and only then hardens sshd if asked.
 */
export async function bootstrapHosts(hosts: readonly ResolvedHost[], options: BootstrapOptions): Promise<HostOutcome<BootstrapResult>[]> {
  return runOnHosts<BootstrapResult>(
    hosts,
    async ({ host, connection, report }) => {
      const result: BootstrapResult = { loggedInAs: initialSessions.has(connection) ? 'initial' : 'deploy', recordedHostKey: recordedKeys.get(connection) ?? connection.recordedHostKey, changes: [] };
      try {
        report('facts');
        const program = bootstrapProgram(host, options.publicKeys.get(host.name)!);
        const plan = await planHost(connection, program, { diff: false });
        result.changes.push(...plan.changes);
        await applyHostPlan(connection, program, plan, report);
        report(`log in as ${host.ssh.user}`);
        await confirmDeployLogin(host);
        if (host.bootstrap.hardenSshd) {
          report('harden sshd');
          const content = host.bootstrap.sshdExtra ? `${HARDENING_CONTENT}${host.bootstrap.sshdExtra.trimEnd()}\n` : HARDENING_CONTENT;
          const hardened = await hardenSshd(connection, () => confirmDeployLogin(host), content);
          result.changes.push({ resource: 'sshd hardening', action: hardened === 'same' ? 'same' : 'update', reason: hardened === 'same' ? 'password and root logins already off' : 'password and root logins turned off; a new key login was confirmed' });
        }
      } catch (error) {
        if (error instanceof HostError) error.result = result;
        throw error;
      }
      return { status: result.changes.some(isChange) ? 'changed' : 'ok', result };
    },
    {
      forks: options.forks,
      emit: options.emit,
      openOptions: (host) => ({ password: options.passwords.get(host.name), become: { enabled: host.become.enabled } }),
      connect: (host, openOptions) => openDeployOrInitial(trustingFirstKey(host, options.trustNewHostKeys ?? false), openOptions),
    },
  );
}

const initialSessions = new WeakSet<Connection>();
/** A key recorded by the deploy attempt that then failed to log in: the initial session carries it on. */
const recordedKeys = new WeakMap<Connection, string>();

/** Under --trust-new-host-keys, strict becomes accept-new for this bootstrap: the operator asked for it by name. */
function trustingFirstKey(host: ResolvedHost, trust: boolean): ResolvedHost {
  return trust && host.ssh.hostKeyChecking === 'strict' ? { ...host, ssh: { ...host.ssh, hostKeyChecking: 'accept-new' } } : host;
}

/**
 * The deploy user first (an already bootstrapped host); the initial login when that is refused. A host
 * key that cannot be checked stops here, before any password is sent.
 */
async function openDeployOrInitial(host: ResolvedHost, openOptions: { password?: string }): Promise<Connection> {
  let recorded: string | undefined;
  try {
    return await Connection.open(host.ssh, { label: host.name, become: { enabled: host.ssh.user !== 'root' } });
  } catch (error) {
    if (error instanceof HostKeyError && (error.verdict === 'unknown' || error.verdict === 'unknown-type')) {
      error.message +=
        '. fleet bootstrap sends no password to a host whose key it cannot check: add the key to known_hosts, ' +
        'or run fleet bootstrap with --trust-new-host-keys to record the key the host offers on first contact (it is printed)';
      throw error;
    }
    if (!(error instanceof HostError) || error.kind !== 'auth') throw error;
    recorded = error.recordedHostKey;
  }
  const login = initialLogin(host);
  if (login.bootstrap.identityFiles.length === 0 && openOptions.password === undefined) {
    throw new HostError('auth', `${host.ssh.user} cannot log in yet and no initial credentials are set; give bootstrap.password_env, bootstrap.password_prompt or bootstrap.identity_file`);
  }
  let connection: Connection;
  try {
    connection = await Connection.open(login.ssh, { label: host.name, password: openOptions.password, become: login.become });
  } catch (error) {
    // Trust on first use is always shown, even when the login then fails.
    recorded ??= error instanceof HostError ? error.recordedHostKey : undefined;
    if (recorded && error instanceof HostError) error.message += `; the host key ${recorded} was recorded in ${host.ssh.knownHostsFile} on this first contact`;
    throw error;
  }
  initialSessions.add(connection);
  if (recorded) recordedKeys.set(connection, recorded);
  return connection;
}
