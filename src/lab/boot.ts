import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runLocal } from '../local/run.ts';
import { LAB_BRIDGE, LAB_GATEWAY, labAddress, labDir, labKeyPath } from './layout.ts';
import { containerInitPid } from './processes.ts';
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
}

const SSHD_DROP_INS: Record<LabVariant, string | undefined> = {
  default: undefined,
  'password-only': 'PubkeyAuthentication no\nPasswordAuthentication yes\nPermitRootLogin yes\n',
  // A freshly created VM: root logs in with its password only (no key installed), keys work in general.
  fresh: 'PasswordAuthentication yes\nPermitRootLogin yes\n',
};

export async function bootLabHost(rootfs: string, name: string, index: number, variant: LabVariant, suite: LabSuite): Promise<LabHost> {
  const hostDir = join(labDir(), 'hosts', name);
  await mkdir(hostDir, { recursive: true });
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
    '-q', '-D', rootfs, '--boot', '--register=no', '--keep-unit', '--volatile=overlay', '--console=passive',
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
  const log = openSync(join(hostDir, 'console.log'), 'w');
  const child = spawn('systemd-nspawn', args, { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  if (child.pid === undefined) throw new Error(`systemd-nspawn did not start for ${name}`);
  return { name, index, address, variant, suite, pid: child.pid };
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
