import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runLocal, runLocalChecked } from '../local/run.ts';
import { LAB_BRIDGE, LAB_GATEWAY, labAddress, labDir, labKeyPath } from './layout.ts';
import { containerInitPid, isOurNspawn, stopNspawn } from './processes.ts';
import type { LabSuite } from './rootfs.ts';

/**
 * How a lab host differs from the base image:
 * - `default`: root and the deploy users log in with the lab key;
 * - `password-only`: sshd refuses keys and takes passwords (a fresh VM, or "the host refuses the key").
 */
export type LabVariant = 'default' | 'password-only' | 'fresh';

export interface LabHost {
  name: string;
  index: number;
  address: string;
  variant: LabVariant;
  suite: LabSuite;
  pid: number;
  /** Set when the host keeps its disk across a restart (see bootLabHost's `persistent`). */
  persistentRoot?: string;
}

export interface BootOptions {
  /**
   * Keep what the host writes across a restart: its root is an overlay of the shared image with a
   * private folder on disk (not the tmpfs of --volatile), so a reboot test finds /etc as it was left.
   */
  persistent?: boolean;
  /** Host paths bound read-only into the host at the same path (a controller's tool the host must run). */
  bindReadOnly?: readonly string[];
}

const SSHD_DROP_INS: Record<LabVariant, string | undefined> = {
  default: undefined,
  'password-only': 'PubkeyAuthentication no\nPasswordAuthentication yes\nPermitRootLogin yes\n',
  // A freshly created VM: root logs in with its password only (no key installed), keys work in general.
  fresh: 'PasswordAuthentication yes\nPermitRootLogin yes\n',
};

export async function bootLabHost(rootfs: string, name: string, index: number, variant: LabVariant, suite: LabSuite, options: BootOptions = {}): Promise<LabHost> {
  const hostDir = join(labDir(), 'hosts', name);
  await mkdir(hostDir, { recursive: true });
  await stopLeftover(name);
  const persistentRoot = options.persistent ? await mountPersistentRoot(rootfs, hostDir) : undefined;
  return startNspawn({ name, index, variant, suite, persistentRoot }, rootfs, options.bindReadOnly ?? []);
}

const pidFile = (name: string) => join(labDir(), 'hosts', name, 'nspawn.pid');

/**
 * A host of this name still running from an aborted run (a killed test run or `lab up`) holds the
 * address this boot is about to take: stop it first, by the PID recorded when it was started.
 */
async function stopLeftover(name: string): Promise<void> {
  const recorded = existsSync(pidFile(name)) ? Number(readFileSync(pidFile(name), 'utf8')) : NaN;
  if (Number.isInteger(recorded) && isOurNspawn(recorded, name)) await stopNspawn(recorded, name);
}

/** Boots the same host again on the disk it left (a persistent host): what a reboot keeps, it finds. */
export async function rebootLabHost(host: LabHost, rootfs: string): Promise<LabHost> {
  if (!host.persistentRoot) throw new Error(`lab host ${host.name} was booted without a persistent root: a restart would lose its state`);
  await stopNspawn(host.pid, host.name);
  if (isOurNspawn(host.pid, host.name)) throw new Error(`lab host ${host.name} (pid ${host.pid}) did not stop`);
  const rebooted = await startNspawn(host, rootfs, []);
  await waitForLabHost(rebooted);
  return rebooted;
}

/** Unmounts a persistent host's root once its container is gone. */
export async function releasePersistentRoot(host: LabHost): Promise<void> {
  if (host.persistentRoot && isMounted(host.persistentRoot)) await runLocalChecked('umount', [host.persistentRoot]);
}

function isMounted(path: string): boolean {
  return readFileSync('/proc/mounts', 'utf8').split('\n').some((line) => line.split(' ')[1] === path);
}

/** A fresh overlay (the shared image below, a private folder above) mounted at hostDir/root. */
async function mountPersistentRoot(rootfs: string, hostDir: string): Promise<string> {
  const [root, upper, work] = ['root', 'upper', 'work'].map((part) => join(hostDir, part)) as [string, string, string];
  // Left mounted by an aborted run: start from a clean disk all the same.
  if (isMounted(root)) await runLocalChecked('umount', [root]);
  await rm(upper, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
  for (const dir of [root, upper, work]) await mkdir(dir, { recursive: true });
  await runLocalChecked('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${rootfs},upperdir=${upper},workdir=${work}`, root]);
  return root;
}

async function startNspawn(spec: Omit<LabHost, 'address' | 'pid'>, rootfs: string, bindReadOnly: readonly string[]): Promise<LabHost> {
  const { name, index, variant, suite, persistentRoot } = spec;
  const hostDir = join(labDir(), 'hosts', name);
  const address = labAddress(index);
  const networkFile = join(hostDir, '10-host0.network');
  await writeFile(
    networkFile,
    `[Match]\nName=host0\n\n[Network]\nAddress=${address}/24\nGateway=${LAB_GATEWAY}\nLinkLocalAddressing=no\n`,
  );
  // The lab has no DNS server. Without this, lookups wait for the machine's resolver, which the
  // bridge cannot reach (Prometheus spends 20 s per config load looking up its own FQDN).
  const resolvConf = join(hostDir, 'resolv.conf');
  await writeFile(resolvConf, '# fleet lab: no DNS here; names come from /etc/hosts\nnameserver 127.0.0.1\n');
  const args = [
    '-q', '-D', persistentRoot ?? rootfs, '--boot', '--register=no', '--keep-unit', ...(persistentRoot ? [] : ['--volatile=overlay']), '--console=passive',
    `--network-bridge=${LAB_BRIDGE}`, `--machine=${name}`, `--hostname=${name}`,
    `--bind-ro=${networkFile}:/etc/systemd/network/10-host0.network`,
    '--resolv-conf=off', `--bind-ro=${resolvConf}:/etc/resolv.conf`,
  ];
  const dropIn = SSHD_DROP_INS[variant];
  if (dropIn) {
    const dropInFile = join(hostDir, 'sshd-variant.conf');
    await writeFile(dropInFile, dropIn);
    args.push(`--bind-ro=${dropInFile}:/etc/ssh/sshd_config.d/00-lab-variant.conf`);
  }
  if (variant === 'fresh') {
    const noKeys = join(hostDir, 'no-authorized-keys');
    await writeFile(noKeys, '');
    args.push(`--bind-ro=${noKeys}:/root/.ssh/authorized_keys`);
  }
  for (const path of bindReadOnly) args.push(`--bind-ro=${path}`);
  const log = openSync(join(hostDir, 'console.log'), 'w');
  const child = spawn('systemd-nspawn', args, { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  if (child.pid === undefined) throw new Error(`systemd-nspawn did not start for ${name}`);
  await writeFile(pidFile(name), `${child.pid}\n`);
  return { name, index, address, variant, suite, pid: child.pid, ...(persistentRoot ? { persistentRoot } : {}) };
}

/** Waits until systemd in the host reports running (or degraded) over SSH with the lab key. */
export async function waitForLabHost(host: LabHost, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // A password-only host refuses the key, so its readiness is read from inside instead.
  const probe = host.variant === 'default' ? sshProbe(host.address) : nsenterProbe(host.pid);
  let last = '';
  while (Date.now() < deadline) {
    const result = await probe();
    last = (result.stdout + result.stderr).trim();
    if (/^(running|degraded)/m.test(result.stdout) && (host.variant === 'default' || (await sshdListening(host.pid)))) return;
    await sleep(250);
  }
  throw new Error(`lab host ${host.name} (${host.address}) did not come up within ${timeoutMs / 1000}s; last answer: ${last || 'none'}; console log in ${join(labDir(), 'hosts', host.name)}`);
}

function sshProbe(address: string) {
  return () =>
    runLocal('ssh', [
      '-i', labKeyPath(), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
      '-o', 'ConnectTimeout=2', '-o', 'LogLevel=ERROR', `root@${address}`, 'systemctl', 'is-system-running',
    ], { timeoutMs: 5000 });
}

function nsenterProbe(nspawnPid: number) {
  return async () => {
    const init = containerInitPid(nspawnPid);
    return init ? runLocal('nsenter', ['-t', String(init), '-a', 'systemctl', 'is-system-running'], { timeoutMs: 5000 }) : { code: 1, stdout: '', stderr: '' };
  };
}

async function sshdListening(nspawnPid: number): Promise<boolean> {
  const init = containerInitPid(nspawnPid);
  if (!init) return false;
  const result = await runLocal('nsenter', ['-t', String(init), '-n', 'ss', '-ltn', 'sport = :22']);
  return result.stdout.includes(':22');
}
