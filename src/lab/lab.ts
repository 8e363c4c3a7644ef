import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runLocal } from '../local/run.ts';
import { writeFileAtomically } from '../local/write-atomic.ts';
import { bootLabHost, rebootLabHost, releasePersistentRoot, waitForLabHost, type BootOptions, type LabHost, type LabVariant } from './boot.ts';
import { labDir } from './layout.ts';
import { ensureLabNetwork } from './network.ts';
import { containerInitPid, stopNspawn } from './processes.ts';
import { DEFAULT_LAB_SUITE, ensureRootfs, type LabSuite } from './rootfs.ts';

export interface LabHostSpec extends BootOptions {
  name: string;
  index: number;
  variant?: LabVariant;
  /** The Debian release the host runs (default bookworm). */
  suite?: LabSuite;
}

/** Why this machine cannot run the lab, or undefined when it can. */
export async function labUnavailableReason(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'the lab needs root (systemd-nspawn, a bridge, debootstrap)';
  for (const tool of ['systemd-nspawn', 'debootstrap', 'ssh', 'nsenter']) {
    if ((await runLocal('sh', ['-c', `command -v ${tool}`])).code !== 0) {
      return `${tool} is not installed (apt-get install -y debootstrap systemd-container openssh-client iproute2)`;
    }
  }
  return undefined;
}

/**
 * Boots the hosts in parallel and waits until each answers SSH; on failure stops what it started.
 * `booted` hears of each host as soon as its process runs, so a caller can record it before the
 * (long) wait: a run aborted meanwhile leaves hosts the next run can find and stop.
 */
export async function startLab(specs: readonly LabHostSpec[], log: (line: string) => void = () => {}, booted: (hosts: readonly LabHost[]) => Promise<void> = async () => {}): Promise<LabHost[]> {
  // Each suite's image is built (once) in parallel with the others.
  const suites = [...new Set(specs.map((spec) => spec.suite ?? DEFAULT_LAB_SUITE))];
  const images = new Map(await Promise.all(suites.map(async (suite) => [suite, await ensureRootfs(log, suite)] as const)));
  await ensureLabNetwork();
  const hosts: LabHost[] = [];
  try {
    for (const spec of specs) {
      const suite = spec.suite ?? DEFAULT_LAB_SUITE;
      hosts.push(await bootLabHost(images.get(suite)!, spec.name, spec.index, spec.variant ?? 'default', suite, spec));
      await booted(hosts);
    }
    // All hosts boot at once on the same cores: 49 of them took over 60 s on a loaded 2-core machine.
    const timeoutMs = 60_000 + 2_000 * hosts.length;
    await Promise.all(hosts.map((host) => waitForLabHost(host, timeoutMs)));
    return hosts;
  } catch (error) {
    await stopLab(hosts);
    throw error;
  }
}

export async function stopLab(hosts: readonly LabHost[]): Promise<void> {
  await Promise.all(hosts.map((host) => stopNspawn(host.pid, host.name)));
  for (const host of hosts) await releasePersistentRoot(host);
}

/** Powers a persistent host off and boots it again on the same disk; returns it with its new PID. */
export async function restartLabHost(host: LabHost): Promise<LabHost> {
  return rebootLabHost(host, await ensureRootfs());
}

/** Runs a command inside a lab host without SSH (to tamper with it, or to look at it). */
export async function runInLabHost(host: LabHost, command: string) {
  const init = containerInitPid(host.pid);
  if (!init) throw new Error(`lab host ${host.name} has no init process`);
  return runLocal('nsenter', ['-t', String(init), '-a', 'sh', '-c', command]);
}

// `fleet lab up` and `fleet lab down` remember the hosts they booted here.
const statePath = () => join(labDir(), 'state.json');

export interface LabState {
  hosts: LabHost[];
  /** False while `fleet lab up` is still booting: hosts of a run that never got to true were left by an abort. */
  complete: boolean;
}

export async function readLabState(): Promise<LabState> {
  if (!existsSync(statePath())) return { hosts: [], complete: true };
  const saved = JSON.parse(await readFile(statePath(), 'utf8')) as LabState | LabHost[];
  // A state file of an earlier fleet: the list of hosts of a finished `lab up`.
  return Array.isArray(saved) ? { hosts: saved, complete: true } : saved;
}

export async function writeLabState(state: LabState): Promise<void> {
  if (state.hosts.length === 0) await rm(statePath(), { force: true });
  else await writeFileAtomically(statePath(), `${JSON.stringify(state, null, 2)}\n`);
}

/** Turns a lab host into the lab's central Prometheus (Debian's package, installed but disabled in the image). */
export async function enableLabPrometheus(host: LabHost): Promise<void> {
  const script = [
    // Faster feedback in the lab than Debian's 15 s; fleet's jobs may set their own.
    "sed -i 's/^  scrape_interval: .*/  scrape_interval: 5s/' /etc/prometheus/prometheus.yml",
    'systemctl enable --now prometheus >/dev/null 2>&1',
    'for i in $(seq 1 100); do curl -sf http://127.0.0.1:9090/-/ready >/dev/null && exit 0; sleep 0.1; done',
    'echo "prometheus did not become ready" >&2; exit 1',
  ].join('\n');
  const result = await runInLabHost(host, script);
  if (result.code !== 0) throw new Error(`lab host ${host.name}: ${result.stderr.trim()}`);
}
