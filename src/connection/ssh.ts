import { readFile, stat } from 'node:fs/promises';
import { constants } from 'node:os';
import { PassThrough, type Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { NodeSSH } from 'node-ssh';
import pLimit from 'p-limit';
import type { ClientChannel, ConnectConfig, SFTPWrapper } from 'ssh2';
import type { SshTarget } from '../inventory/resolve.ts';
import type { BecomeMethod } from '../inventory/schema.ts';
import { BECOME_PTY, becomeRefusal, doasNopassCommand, endsWithPrompt, needsTerminal, newTerminalMarkers, splitTerminalOutput, terminalBecomeCommand } from './become.ts';
import { CONNECT_RETRY, withConnectRetries } from './connect-retry.ts';
import { ignoreHostKeysNotice } from './host-keys-notice.ts';
import { classifyConnectError, HostError } from './errors.ts';
import { knownKeyTypes, verifyHostKey } from './host-key-check.ts';
import { capChannelOutput, DEFAULT_OUTPUT_CAP_BYTES, formatBytes } from './output-cap.ts';
import { startProxyCommand, type ProxyProcess } from './proxy-command.ts';
import { shellQuote } from './quote.ts';
import { emitTrace, registerSecret, tracing } from './trace.ts';
import { TunnelRefused, tunnelOpenError } from './tunnel-http.ts';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Run as root through sudo (ignored when the login user is root). */
  sudo?: boolean;
  timeoutMs?: number;
  stdin?: string;
  /** stdout and stderr together; past this the command is cut off and fails (default 16 MiB). */
  maxOutputBytes?: number;
  /** The step's name for -v and --log (default: the command's first word). */
  name?: string;
}

export interface OpenOptions {
  /** Password login (bootstrap of fresh hosts). */
  password?: string;
  /** Wrap `sudo: true` commands in sudo (or su, doas), with this password when it asks for one. */
  become?: { enabled: boolean; method?: BecomeMethod; password?: string };
  defaultTimeoutMs?: number;
  /** How soon a silent host counts as gone; shorter in tests than the defaults (LIVENESS). */
  liveness?: Partial<typeof LIVENESS>;
  /** The inventory's name for the host, for -v and --log (default: its address). */
  label?: string;
}

/** What a session cost the host: commands run after connecting and bytes uploaded (for --json and the benchmark). */
export interface ConnectionUsage {
  commands: number;
  uploadedBytes: number;
  /** How commands became root on this host, once one did (sudo, su or doas). */
  become?: BecomeMethod;
  /** TCP connections opened from the host through sshd (the endpoint checks' first attempts), once one was. */
  tunnels?: number;
}

/**
 * Large SFTP writes, 4 in flight: OpenSSH's sftp-server takes writes up to 256 KiB (ssh2 splits a
 * larger one for servers that take less). ssh2's default of 32 KiB x 64 moved a 110 MiB binary to a
 * lab host in 4.0-5.3 s, 252 KiB x 16 in 1.8-3.2 s. 1 MiB in flight still covers a link's bandwidth
 * times its round trip (1 Gbit/s at 8 ms), and a cold apply of 50 lab hosts took as long with 4 as
 * with 16 while fleet's peak RSS fell from 222 to 182 MB.
 */
const UPLOAD_CHUNKS = { chunkSize: 252 * 1024, concurrency: 4 };

/**
 * Binaries uploaded at once, from all hosts: each upload holds its chunks in flight, and fifty
 * hosts taking a release at the same time made a cold apply's peak RSS 433 MB. A few uploads at once
 * already keep the controller's link (and, in the lab, its cores) busy; 4 rather than 8 took another
 * 9 MB off the peak.
 */
const uploadsAtOnce = pLimit(4);

// Printed by the shell that sudo starts: its absence on stderr means sudo itself refused.
const SUDO_OK = '__fleet_sudo_ok__';
// How long su or doas may take to ask for the password and accept it (a wrong one takes PAM's 2-3 s delay).
const BECOME_ANSWER_MS = 30_000;

const LIVENESS = {
  // A host that stops answering (frozen, cable pulled) is noticed after about 45 s even while idle.
  keepaliveIntervalMs: 15_000,
  keepaliveCountMax: 3,
  // An SFTP open or transfer that makes no progress for this long has stalled.
  uploadStallMs: 60_000,
};

/** ssh2's names for the host key algorithms of each known_hosts key type. */
const HOST_KEY_ALGORITHMS: Record<string, string[]> = {
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};
const ALL_HOST_KEY_ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

/** One SSH session per host for the whole run: exec, upload, close. */
export class Connection {
  readonly usage: ConnectionUsage = { commands: 0, uploadedBytes: 0 };

  private constructor(
    private readonly ssh: NodeSSH,
    readonly target: SshTarget,
    private readonly options: OpenOptions,
    private readonly jump?: Connection,
    /** The host key recorded in known_hosts by this connection (trust on first use), if any. */
    readonly recordedHostKey?: string,
    /** How many attempts the connection took (transient failures are retried with backoff). */
    readonly connectAttempts = 1,
  ) {}

  static async open(target: SshTarget, options: OpenOptions = {}): Promise<Connection> {
    registerSecret(options.password);
    registerSecret(options.become?.password);
    const jump = target.jump ? await Connection.openJump(target.jump, options) : undefined;
    const proxyCommand = jump ? undefined : target.proxyCommand;
    const where = `${target.user}@${target.host}:${target.port}${jump ? ` via ${describeJumps(target.jump!)}` : proxyCommand ? ` via ProxyCommand "${proxyCommand}"` : ''}`;
    const { authHandler, methods } = await authenticationMethods(target, options.password);
    const preferred = (await knownKeyTypes(target)).flatMap((type) => HOST_KEY_ALGORITHMS[type] ?? [type]);
    let attempts = 0;
    const hostKey: { failure?: HostError; recorded?: string; proxy?: ProxyProcess } = {};
    let ssh = new NodeSSH();
    try {
      // A ProxyCommand's failure says nothing about the host's sshd: it is not retried.
      await withConnectRetries(async (n) => {
        attempts = n;
        hostKey.failure = undefined;
        ssh = new NodeSSH();
        try {
          await Connection.connectOnce(ssh, target, jump, authHandler, preferred, hostKey, { ...LIVENESS, ...options.liveness });
        } catch (error) {
          ssh.dispose();
          hostKey.proxy?.stream.destroy();
          throw error;
        }
      }, proxyCommand ? { ...CONNECT_RETRY, attempts: 1 } : CONNECT_RETRY);
    } catch (error) {
      jump?.close();
      const proxyFailure = hostKey.proxy && !hostKey.failure && !(error instanceof HostError) && /before handshake|ECONNRESET|EPIPE/i.test(String((error as Error)?.message)) ? await proxyCommandFailure(hostKey.proxy, where) : undefined;
      const failure = hostKey.failure ?? proxyFailure ?? classifyConnectError(error, where, methods);
      failure.connectAttempts = attempts;
      if (attempts > 1) failure.message += ` (after ${attempts} attempts)`;
      failure.recordedHostKey = hostKey.recorded;
      throw failure;
    }
    return new Connection(ssh, target, options, jump, hostKey.recorded, attempts);
  }

  private static async connectOnce(
    ssh: NodeSSH,
    target: SshTarget,
    jump: Connection | undefined,
    authHandler: ConnectConfig['authHandler'],
    preferredHostKeys: string[],
    hostKey: { failure?: HostError; recorded?: string; proxy?: ProxyProcess },
    liveness: typeof LIVENESS,
  ): Promise<void> {
    const config: ConnectConfig = {
      host: target.host,
      port: target.port,
      username: target.user,
      readyTimeout: target.connectTimeoutMs,
      keepaliveInterval: liveness.keepaliveIntervalMs,
      keepaliveCountMax: liveness.keepaliveCountMax,
      // Offer the key types known_hosts holds first, as OpenSSH does, so a host known by its RSA key is checked by it.
      algorithms: { serverHostKey: [...new Set([...preferredHostKeys, ...ALL_HOST_KEY_ALGORITHMS])] as never },
      authHandler,
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        verifyHostKey(target, key).then(
          (recorded) => {
            hostKey.recorded = recorded;
            verify(true);
          },
          (error: HostError) => {
            hostKey.failure = error;
            verify(false);
          },
        );
      },
    } as ConnectConfig;
    if (jump) config.sock = await jump.forwardTo(target.host, target.port);
    else if (target.proxyCommand) {
      hostKey.proxy = startProxyCommand(target.proxyCommand, target);
      config.sock = hostKey.proxy.stream as unknown as ConnectConfig['sock'];
    }
    const connecting = ssh.connect(config as Parameters<NodeSSH['connect']>[0]);
    // node-ssh creates the ssh2 client before its first await.
    if (ssh.connection) ignoreHostKeysNotice(ssh.connection);
    await connecting;
    // node-ssh drops its error listener once connected; a later reset would then crash the whole
    // run. The command or upload in flight fails on the closed session instead, for this host only.
    ssh.connection?.on('error', () => {});
  }

  private static async openJump(jump: SshTarget, options: OpenOptions): Promise<Connection> {
    try {
      return await Connection.open(jump, { defaultTimeoutMs: options.defaultTimeoutMs, liveness: options.liveness });
    } catch (error) {
      const failure = error as HostError;
      throw Object.assign(new HostError(failure.kind, `jump host: ${failure.message}`), { connectAttempts: failure.connectAttempts });
    }
  }

  private forwardTo(host: string, port: number): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      this.ssh.connection!.forwardOut('127.0.0.1', 0, host, port, (error, stream) => (error ? reject(error) : resolve(stream)));
    });
  }

  /** Runs a shell command; a non-zero exit is a result, a refused sudo or a timeout is a HostError. */
  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    if (!tracing()) return this.execUntraced(command, options);
    const started = Date.now();
    const sudo = this.runsAsRoot(options);
    const trace = { type: 'command' as const, host: this.options.label ?? this.target.host, name: options.name ?? command.trim().split(/\s/)[0] ?? '', command, sudo, ...(sudo ? { become: this.becomeMethod() } : {}) };
    try {
      const result = await this.execUntraced(command, options);
      emitTrace({ ...trace, durationMs: Date.now() - started, code: result.code, stdout: result.stdout, stderr: result.stderr });
      return result;
    } catch (error) {
      emitTrace({ ...trace, durationMs: Date.now() - started, error: (error as Error).message });
      throw error;
    }
  }

  /** Whether exec wraps the command in sudo: asked for, and the login user is not already root. */
  private runsAsRoot(options: ExecOptions): boolean {
    return options.sudo === true && this.target.user !== 'root' && (this.options.become?.enabled ?? true);
  }

  private becomeMethod(): BecomeMethod {
    return this.options.become?.method ?? 'sudo';
  }

  private async execUntraced(command: string, options: ExecOptions): Promise<ExecResult> {
    this.usage.commands += 1;
    const become = this.runsAsRoot(options);
    const method = this.becomeMethod();
    const password = this.options.become?.password;
    const timeoutMs = options.timeoutMs ?? this.options.defaultTimeoutMs ?? 120_000;
    if (become) this.usage.become = method;
    // On the terminal, the shell still has work after the command (its exit code, the markers).
    if (become && needsTerminal(method, password)) return this.execOnTerminal(method, command, withRemoteTimeout(command, timeoutMs), options, timeoutMs);
    const bounded = withRemoteTimeout(command, timeoutMs, { replaceShell: true });
    const wrapped = !become ? bounded
      : method === 'doas' ? doasNopassCommand(bounded, SUDO_OK)
      : `sudo ${password ? "-S -p ''" : '-n'} -- sh -c ${shellQuote(`echo ${SUDO_OK} >&2; ${bounded}`)}`;
    const stdin = become && password ? `${password}\n${options.stdin ?? ''}` : options.stdin;
    const result = await this.runChannel(command, wrapped, { stdin, timeoutMs, maxOutputBytes: options.maxOutputBytes });
    let stderr = result.stderr;
    if (become) {
      const marker = stderr.indexOf(`${SUDO_OK}\n`);
      if (marker < 0) {
        if (method === 'doas') throw this.becomeFailure('doas', becomeRefusal('doas', stderr, []) || `exit code ${result.code}`, ' (doas -n found no nopass rule; for a rule that asks, set become.password_env or become.password_prompt)');
        const reason = stderr.replace(/\[sudo\] password for [^:]*:\s*/g, '').trim().split('\n').slice(-2).join(' ');
        throw new HostError('sudo', `sudo refused for ${this.target.user}: ${reason || `exit code ${result.code}`}${password ? '' : ' (if sudo needs a password, set become.password_env or become.password_prompt)'}`);
      }
      stderr = stderr.slice(0, marker) + stderr.slice(marker + SUDO_OK.length + 1);
    }
    return { code: result.code, stdout: result.stdout, stderr };
  }

  private becomeFailure(method: BecomeMethod, reason: string, hint = ''): HostError {
    return new HostError('become', `become (${method}) failed on ${this.options.label ?? this.target.host}: ${reason}${hint}`);
  }

  /**
   * su, or doas with a password: the command runs on a PTY (see become.ts). The password is typed at
   * the prompt only; a second prompt, a prompt without a password, or no answer in time fails the host
   * at once instead of leaving it waiting for a keyboard.
   */
  private async execOnTerminal(method: 'su' | 'doas', command: string, bounded: string, options: ExecOptions, timeoutMs: number): Promise<ExecResult> {
    // A PTY has no end of input to give: a command that reads stdin cannot run this way (none of fleet's do as root).
    if (options.stdin !== undefined) throw new Error(`internal: a command with input cannot become root with ${method} (${command.slice(0, 60)})`);
    const password = this.options.become?.password;
    const markers = newTerminalMarkers();
    const owner = method === 'su' ? "root's password" : `${this.target.user}'s password`;
    const prompts: string[] = [];
    let seen = '';
    let authenticated = false;
    let answerTimer: NodeJS.Timeout | undefined;
    const watch = (chunk: Buffer, type: (text: string) => void, fail: (error: HostError) => void) => {
      if (authenticated) return;
      answerTimer ??= setTimeout(() => fail(this.becomeFailure(method, `no answer within ${BECOME_ANSWER_MS / 1000}s (${prompts.length ? 'after the password' : 'no prompt and no sign of success'})`)), BECOME_ANSWER_MS);
      seen += chunk.toString('utf8');
      if (seen.includes(markers.ok)) {
        authenticated = true;
        clearTimeout(answerTimer);
        return;
      }
      const pending = seen.slice(prompts.reduce((at, prompt) => seen.indexOf(prompt, at) + prompt.length, 0));
      if (!endsWithPrompt(pending, method)) return;
      if (password === undefined) return fail(this.becomeFailure(method, `${method} asked for a password and none was given`, ` (set become.password_env or become.password_prompt: ${owner})`));
      if (prompts.length > 0) return fail(this.becomeFailure(method, 'authentication failure (asked for the password again)', ` (check ${owner})`));
      prompts.push(pending);
      type(`${password}\n`);
    };
    try {
      const result = await this.runChannel(command, terminalBecomeCommand(method, bounded, markers), { timeoutMs, maxOutputBytes: options.maxOutputBytes, pty: true, watch });
      const output = splitTerminalOutput(result.stdout, markers);
      if (!output.authenticated) throw this.becomeFailure(method, becomeRefusal(method, output.said, prompts) || `exit code ${result.code}`, prompts.length ? ` (check ${owner})` : '');
      return { code: result.code, stdout: output.stdout, stderr: output.stderr + result.stderr };
    } finally {
      clearTimeout(answerTimer);
    }
  }

  /** One command on its own channel: its exit code and both streams, bounded in time and in size. */
  private async runChannel(
    command: string,
    wrapped: string,
    options: { stdin?: string; timeoutMs: number; maxOutputBytes?: number; pty?: boolean; watch?: (chunk: Buffer, type: (text: string) => void, fail: (error: HostError) => void) => void },
  ): Promise<ExecResult> {
    const { timeoutMs } = options;
    // On a PTY the input stays open (node-ssh ends a channel without stdin at once, and the end of
    // input hangs the terminal up before su has read the password): it is typed into when asked.
    const keyboard = options.pty ? new PassThrough() : undefined;
    const stdin = keyboard ?? options.stdin;
    let channel: ClientChannel | undefined;
    let failStep: (error: HostError) => void = () => {};
    const failed = new Promise<never>((_, reject) => (failStep = reject));
    const timer = setTimeout(() => {
      // The remote `timeout` ends the command itself; stop waiting for it.
      channel?.close();
      failStep(new HostError('timeout', `command did not finish within ${timeoutMs / 1000}s: ${command.slice(0, 120)}`));
    }, timeoutMs);
    const maxOutput = options.maxOutputBytes ?? DEFAULT_OUTPUT_CAP_BYTES;
    const fail = (error: HostError) => {
      channel?.close();
      failStep(error);
    };
    const onChannel = (c: ClientChannel) => {
      channel = c;
      capChannelOutput(c, maxOutput, () =>
        failStep(new HostError('command', `output cut off: the command sent more than ${formatBytes(maxOutput)} (stdout and stderr); fleet stopped reading and ended it: ${command.slice(0, 120)}`)),
      );
      // The watcher's clock starts with the channel: su that never prompts is noticed too.
      if (keyboard) options.watch?.(Buffer.alloc(0), (text) => keyboard.write(text), fail);
    };
    try {
      // node-ssh decodes each packet on its own, which splits a multibyte character that straddles two
      // packets into replacement characters: keep the bytes and decode each stream once, at the end.
      const stdoutBytes: Buffer[] = [];
      const stderrBytes: Buffer[] = [];
      const result = await Promise.race([
        this.ssh.execCommand(wrapped, {
          stdin,
          noTrim: true,
          onChannel,
          ...(options.pty ? { execOptions: { pty: BECOME_PTY } } : {}),
          onStdout: (chunk) => {
            stdoutBytes.push(chunk);
            if (keyboard) options.watch?.(chunk, (text) => keyboard.write(text), fail);
          },
          onStderr: (chunk) => stderrBytes.push(chunk),
        }),
        failed,
      ]).catch((error: unknown) => {
        // execCommand itself only fails when the session does (a keepalive timeout, a reset): that is the host's failure, not fleet's.
        if (error instanceof HostError) throw error;
        throw new HostError('unreachable', `the SSH session to ${this.target.host} was lost while a command ran (${(error as Error)?.message ?? String(error)}): ${command.slice(0, 120)}`);
      });
      if (result.code === null && result.signal === null && !this.ssh.isConnected()) {
        throw new HostError('unreachable', `the SSH session to ${this.target.host} was lost while a command ran (no answer to keepalives, or the connection was cut): ${command.slice(0, 120)}`);
      }
      const stdout = Buffer.concat(stdoutBytes).toString('utf8');
      const stderr = Buffer.concat(stderrBytes).toString('utf8');
      return { code: exitCodeOf(result), stdout, stderr };
    } finally {
      clearTimeout(timer);
      keyboard?.unpipe();
    }
  }

  /** Like exec, but a non-zero exit is a HostError naming the step, the exit code and the last lines of stderr. */
  async execChecked(step: string, command: string, options: ExecOptions = {}): Promise<string> {
    const result = await this.exec(command, { name: step, ...options });
    if (result.code !== 0) throw stepFailure(step, result);
    return result.stdout;
  }

  /**
   * A TCP connection from the host to host:port, opened by sshd (a direct-tcpip channel, as `ssh -L`
   * uses): nothing starts on the host. Rejects with TunnelRefused where sshd's policy forbids it.
   */
  openTunnel(host: string, port: number): Promise<Duplex> {
    const client = this.ssh.connection;
    if (!client) return Promise.reject(new HostError('unreachable', `the SSH session to ${this.target.host} is closed`));
    return new Promise((resolve, reject) =>
      client.forwardOut('127.0.0.1', 0, host, port, (error, channel) => {
        if (!error) {
          this.usage.tunnels = (this.usage.tunnels ?? 0) + 1;
          return resolve(channel);
        }
        const reason = tunnelOpenError(error);
        if (reason instanceof TunnelRefused) this.tunnelsRefused = true;
        reject(reason);
      }),
    );
  }

  /** Set once the host's sshd refused a tunnel: this run's later first attempts use the host's curl. */
  tunnelsRefused = false;

  /** Writes content to a remote path over SFTP, as the login user; fails if the session drops meanwhile. */
  async upload(content: string | Buffer, remotePath: string, mode = 0o600): Promise<void> {
    this.usage.uploadedBytes += Buffer.byteLength(content);
    await this.traceUpload(remotePath, () => this.withSftpUntilClosed(remotePath, (sftp, done) => sftp.writeFile(remotePath, content, { mode }, done)));
  }

  /** Copies a local file (a release binary) without reading it into memory; same guarantees as upload. */
  async uploadFile(localPath: string, remotePath: string, mode = 0o600): Promise<void> {
    this.usage.uploadedBytes += (await stat(localPath)).size;
    await uploadsAtOnce(() => this.traceUpload(remotePath, () => this.withSftpUntilClosed(remotePath, (sftp, done, progress) => sftp.fastPut(localPath, remotePath, { mode, ...UPLOAD_CHUNKS, step: progress }, done))));
  }

  private async traceUpload(remotePath: string, transfer: () => Promise<void>): Promise<void> {
    if (!tracing()) return transfer();
    const started = Date.now();
    const trace = { type: 'upload' as const, host: this.options.label ?? this.target.host, name: `upload ${remotePath}`, command: `upload ${remotePath}`, sudo: false };
    try {
      await transfer();
      emitTrace({ ...trace, durationMs: Date.now() - started });
    } catch (error) {
      emitTrace({ ...trace, durationMs: Date.now() - started, error: (error as Error).message });
      throw error;
    }
  }

  /** Fails if the session drops, or if opening SFTP or the transfer makes no progress for a while (LIVENESS). */
  private async withSftpUntilClosed(remotePath: string, transfer: (sftp: SFTPWrapper, done: (error?: Error | null) => void, progress: () => void) => void): Promise<void> {
    const client = this.ssh.connection;
    if (!client) throw new HostError('unreachable', `the SSH session to ${this.target.host} is closed`);
    let fail: (error: HostError) => void = () => {};
    const failed = new Promise<never>((_, reject) => (fail = reject));
    const onClose = () => fail(new HostError('unreachable', `the SSH session to ${this.target.host} closed during the upload of ${remotePath}`));
    client.once('close', onClose);
    let phase = 'opening SFTP for';
    let stalled: NodeJS.Timeout | undefined;
    const stallMs = this.options.liveness?.uploadStallMs ?? LIVENESS.uploadStallMs;
    const progress = () => {
      clearTimeout(stalled);
      stalled = setTimeout(() => fail(new HostError('timeout', `${phase} the upload of ${remotePath} made no progress for ${stallMs / 1000}s`)), stallMs);
    };
    progress();
    try {
      await Promise.race([
        this.ssh.withSFTP((sftp) => {
          phase = 'after SFTP opened,';
          progress();
          return new Promise<void>((resolve, reject) => transfer(sftp, (error) => (error ? reject(error) : resolve()), progress));
        }),
        failed,
      ]);
    } finally {
      clearTimeout(stalled);
      client.removeListener('close', onClose);
    }
  }

  close(): void {
    this.ssh.dispose();
    this.jump?.close();
  }

  /** Cuts the connection at once, without the polite goodbye a frozen host would never answer (a host past its deadline). */
  abandon(): void {
    this.ssh.connection?.destroy();
    this.close();
    this.jump?.abandon();
  }
}

/** A failed step: its name, the exit code and the last lines of stderr. */
export function stepFailure(step: string, result: ExecResult): HostError {
  const tail = result.stderr.trim().split('\n').slice(-5).join('\n');
  return new HostError('command', `${step}: exit code ${result.code}${tail ? `: ${tail}` : ''}`);
}

/**
 * A command's exit code as a shell reports it: 128 + the signal's number for one that a signal ended.
 * sshd sends the signal's name instead of a code when the process it started dies by a signal, which
 * is the rule since that process is `timeout` itself (exec'd, see withRemoteTimeout): `timeout -s KILL`
 * kills itself at the deadline, and re-raises a signal that ended its command (the OOM killer's KILL).
 */
export function exitCodeOf(result: { code: number | null; signal?: string | null }): number {
  if (result.code !== null) return result.code;
  if (!result.signal) return 255;
  return 128 + (constants.signals[result.signal as keyof typeof constants.signals] ?? 0);
}

/**
 * sshd does not end a command when its channel closes, so the command bounds itself with coreutils
 * `timeout` where the host has it (plain sh -c elsewhere: the client still stops waiting).
 * `replaceShell` where nothing follows in the shell that runs this: it execs instead of forking.
 */
export function withRemoteTimeout(command: string, timeoutMs: number, options: { replaceShell?: boolean } = {}): string {
  const seconds = Math.ceil(timeoutMs / 1000);
  const quoted = shellQuote(command);
  const run = options.replaceShell ? 'exec ' : '';
  return `if command -v timeout >/dev/null 2>&1; then ${run}timeout -s KILL ${seconds} sh -c ${quoted}; else ${run}sh -c ${quoted}; fi`;
}

/** A ProxyCommand that ended or failed before the handshake: its exit code and last words. */
async function proxyCommandFailure(proxy: ProxyProcess, where: string): Promise<HostError> {
  // The transport sees the end of the stream before the process is reaped; give it a moment.
  const code = await Promise.race([proxy.exited, sleep(1000, undefined, { ref: false })]);
  const said = proxy.stderrTail();
  return new HostError('unreachable', `unreachable: cannot connect to ${where}: the ProxyCommand ${code === undefined ? 'closed its output' : code === null ? 'was killed' : `exited with code ${code}`}${said ? `: ${said}` : ''}`);
}

function describeJumps(jump: SshTarget): string {
  return `${jump.jump ? `${describeJumps(jump.jump)}, ` : ''}${jump.host}:${jump.port}`;
}

// Every host of a run usually logs in with the same key: read each file once per run, not once per host.
const identityFiles = new Map<string, Promise<Buffer | undefined>>();

function readIdentityFile(file: string): Promise<Buffer | undefined> {
  if (!identityFiles.has(file)) identityFiles.set(file, readFile(file).catch(() => undefined));
  return identityFiles.get(file)!;
}

async function authenticationMethods(target: SshTarget, password: string | undefined) {
  const handlers: Record<string, unknown>[] = [];
  const methods: string[] = [];
  if (target.agent) {
    handlers.push({ type: 'agent', username: target.user, agent: target.agent });
    methods.push('ssh-agent');
  }
  for (const file of target.identityFiles) {
    const key = await readIdentityFile(file);
    if (!key) continue;
    handlers.push({ type: 'publickey', username: target.user, key });
    methods.push(`key ${file}`);
  }
  if (password !== undefined) {
    handlers.push({ type: 'password', username: target.user, password });
    handlers.push({ type: 'keyboard-interactive', username: target.user, prompt: (_n: string, _i: string, _l: string, prompts: unknown[], finish: (answers: string[]) => void) => finish(prompts.map(() => password)) });
    methods.push('password');
  }
  return { authHandler: handlers as unknown as ConnectConfig['authHandler'], methods };
}
