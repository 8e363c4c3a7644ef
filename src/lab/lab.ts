import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runLocal } from '../local/run.ts';
import { bootLabHost, waitForLabHost, type LabHost, type LabVariant } from './boot.ts';
import { labDir } from './layout.ts';
import { ensureLabNetwork } from './network.ts';
import { containerInitPid, stopNspawn } from './processes.ts';
import { DEFAULT_LAB_SUITE, ensureRootfs, type LabSuite } from './rootfs.ts';

export interface LabHostSpec {
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

/** Boots the hosts in parallel and waits until each answers SSH; on failure stops what it started. */
export async function startLab(specs: readonly LabHostSpec[], log: (line: string) => void = () => {}): Promise<LabHost[]> {
  // Each suite's image is built (once) in parallel with the others.
  const suites = [...new Set(specs.map((spec) => spec.suite ?? DEFAULT_LAB_SUITE))];
  const images = new Map(await Promise.all(suites.map(async (suite) => [suite, await ensureRootfs(log, suite)] as const)));
  await ensureLabNetwork();
  const hosts: LabHost[] = [];
  try {
    for (const spec of specs) {
      const suite = spec.suite ?? DEFAULT_LAB_SUITE;
      hosts.push(await bootLabHost(images.get(suite)!, spec.name, spec.index, spec.variant ?? 'default', suite));
    }
    await Promise.all(hosts.map((host) => waitForLabHost(host)));
    return hosts;
  } catch (error) {
    await stopLab(hosts);
    throw error;
  }
}

export async function stopLab(hosts: readonly LabHost[]): Promise<void> {
  await Promise.all(hosts.map((host) => stopNspawn(host.pid, host.name)));
}

/** Runs a command inside a lab host without SSH (to tamper with it, or to look at it). */
export async function runInLabHost(host: LabHost, command: string) {
  const init = containerInitPid(host.pid);
  if (!init) throw new Error(`lab host ${host.name} has no init process`);
  return runLocal('nsenter', ['-t', String(init), '-a', 'sh', '-c', command]);
}

// `fleet lab up` and `fleet lab down` remember the hosts they booted here.
const statePath = () => join(labDir(), 'state.json');

export async function readLabState(): Promise<LabHost[]> {
  if (!existsSync(statePath())) return [];
  return JSON.parse(await readFile(statePath(), 'utf8')) as LabHost[];
}

export async function writeLabState(hosts: readonly LabHost[]): Promise<void> {
  if (hosts.length === 0) await rm(statePath(), { force: true });
  else await writeFile(statePath(), `${JSON.stringify(hosts, null, 2)}\n`);
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
