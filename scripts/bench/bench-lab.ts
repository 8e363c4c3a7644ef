import type { Server } from 'node:http';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { bootLabHost, waitForLabHost, type LabHost } from '../../src/lab/boot.ts';
import { enableLabPrometheus, runInLabHost, stopLab, writeLabState } from '../../src/lab/lab.ts';
import { renderLabInventory } from '../../src/lab/lab-inventory.ts';
import { LAB_GATEWAY, labDir } from '../../src/lab/layout.ts';
import { buildLabMirror, serveDirectory } from '../../src/lab/mirror.ts';
import { LAB_MIRROR_PORT } from '../../src/lab/mirror-process.ts';
import { ensureLabNetwork } from '../../src/lab/network.ts';
import { stopNspawn } from '../../src/lab/processes.ts';
import { DEFAULT_LAB_SUITE, ensureRootfs } from '../../src/lab/rootfs.ts';

/** The same names and addresses as `fleet lab up`: monitor at .10, lab1.. from .11. */
const MONITOR = { name: 'monitor', index: 10 };
const FIRST_INDEX = 11;

export interface BootReport {
  seconds: number;
  /** Hosts that did not come up at the first try and were booted again (boot reliability under load). */
  retried: string[];
}

export interface BenchLab {
  hosts: LabHost[];
  monitor: LabHost;
  /** Paths the release mirror served (to prove each archive is downloaded once per run). */
  mirrorRequests: string[];
  inventoryFile: string;
  reboot(): Promise<BootReport>;
  stop(): Promise<void>;
}

const log = (line: string) => process.stderr.write(`bench ${new Date().toISOString().slice(11, 19)}: ${line}\n`);

/**
 * Boots `total` hosts (the monitor running Prometheus and total-1 hosts) all at once, reboots any host
 * that does not come up in time (up to twice), serves the release mirror from this process and writes
 * an inventory for them. The hosts are recorded in the lab state, so `fleet lab down` stops them too.
 */
export async function startBenchLab(total: number, workDir: string): Promise<{ lab: BenchLab; boot: BootReport }> {
  const specs = [MONITOR, ...Array.from({ length: total - 1 }, (_, i) => ({ name: `lab${i + 1}`, index: FIRST_INDEX + i }))];
  const rootfs = await ensureRootfs(log);
  await ensureLabNetwork();
  const mirrorRoot = join(labDir(), 'mirror');
  await buildLabMirror(mirrorRoot);
  const mirror = await serveDirectory(mirrorRoot, LAB_GATEWAY, LAB_MIRROR_PORT);
  const hosts: LabHost[] = [];
  const boot = async (): Promise<BootReport> => {
    const started = performance.now();
    const retried: string[] = [];
    const booted: LabHost[] = [];
    // Settled, not Promise.all: a failed host must not leave the others booting unseen.
    const results = await Promise.allSettled(specs.map((spec) => bootWithRetries(rootfs, spec, booted, retried)));
    const failure = results.find((result) => result.status === 'rejected');
    if (failure) {
      await stopLab(booted);
      throw failure.reason;
    }
    hosts.splice(0, hosts.length, ...results.map((result) => (result as PromiseFulfilledResult<LabHost>).value));
    await writeLabState({ hosts, complete: true });
    // Scrapes every 5 s: what the cold apply's registration waits for.
    await enableLabPrometheus(hosts.find((host) => host.name === MONITOR.name)!);
    return { seconds: (performance.now() - started) / 1000, retried };
  };
  const bootReport = await boot();
  const inventoryFile = join(workDir, 'inventory.yaml');
  // Without a scrape_interval of its own, fleet's jobs follow Prometheus' global one, which the
  // benchmark lengthens outside the cold apply (see setGlobalScrapeInterval) without fleet seeing drift.
  const inventory = renderLabInventory(hosts, { mirrorUrl: mirror.url, prometheusServers: [MONITOR.name] })
    .replace(/^ {2}scrape_interval: .*\n/m, '')
    .replace(/known_hosts_file: .*/, `known_hosts_file: ${join(workDir, 'known_hosts')}`);
  await writeFile(inventoryFile, inventory);
  const lab: BenchLab = {
    hosts,
    get monitor() {
      return hosts.find((host) => host.name === MONITOR.name)!;
    },
    mirrorRequests: mirror.requests,
    inventoryFile,
    reboot: async () => {
      await stopLab(hosts);
      await rm(join(workDir, 'known_hosts'), { force: true });
      return boot();
    },
    stop: async () => {
      await stopLab(hosts);
      await writeLabState({ hosts: [], complete: true });
      await closeServer(mirror.server);
    },
  };
  return { lab, boot: bootReport };
}

/** Boots one host, and boots it again (twice at most) when it does not answer in time; `booted` holds what runs. */
async function bootWithRetries(rootfs: string, spec: { name: string; index: number }, booted: LabHost[], retried: string[]): Promise<LabHost> {
  for (let attempt = 1; ; attempt++) {
    const host = await bootLabHost(rootfs, spec.name, spec.index, 'default', DEFAULT_LAB_SUITE);
    booted.push(host);
    try {
      // Generous: 50 hosts booting at once share 2 cores with whatever else runs.
      await waitForLabHost(host, 180_000);
      return host;
    } catch (error) {
      await stopNspawn(host.pid, host.name);
      booted.splice(booted.indexOf(host), 1);
      if (attempt >= 3) throw error;
      retried.push(spec.name);
      log(`${spec.name} did not come up (${(error as Error).message.split(';')[0]}); booting it again`);
    }
  }
}

/**
 * Sets Prometheus' global scrape interval (fleet's jobs inherit it) and waits until the server has
 * scraped every target of fleet's jobs since: a reload makes targets "unknown" until their next scrape
 * under the new interval, and a converged run must find them up. Waits about one interval at most.
 */
export async function setGlobalScrapeInterval(monitor: LabHost, interval: string, timeoutMs: number): Promise<void> {
  const requestedAt = Math.floor(Date.now() / 1000);
  // systemctl reload only sends SIGHUP; Prometheus' own metric says when the new config is in force.
  const script = [
    `sed -i 's/^  scrape_interval: .*/  scrape_interval: ${interval}/' /etc/prometheus/prometheus.yml`,
    'systemctl reload prometheus',
    'for i in $(seq 1 300); do',
    "  at=$(curl -sf http://127.0.0.1:9090/metrics | sed -n 's/^prometheus_config_last_reload_success_timestamp_seconds //p')",
    `  [ -n "$at" ] && [ "$(printf '%.0f' "$at")" -ge ${requestedAt} ] && { printf '%.0f\\n' "$at"; exit 0; }`,
    '  sleep 0.2',
    'done',
    'echo "prometheus did not reload" >&2; exit 1',
  ].join('\n');
  const result = await runInLabHost(monitor, script);
  if (result.code !== 0) throw new Error(`monitor: ${result.stderr.trim()}`);
  // The lab hosts share this machine's clock: a scrape under the new interval is stamped after the reload's second.
  const reloadedAt = (Number(result.stdout.trim()) + 1) * 1000;
  const deadline = Date.now() + timeoutMs;
  let waiting: string[] = [];
  while (Date.now() < deadline) {
    const targets = await runInLabHost(monitor, 'curl -sf http://127.0.0.1:9090/api/v1/targets?state=active');
    if (targets.code === 0) {
      const active = (JSON.parse(targets.stdout) as { data: { activeTargets: ActiveTarget[] } }).data.activeTargets.filter((target) => target.labels.job?.startsWith('fleet-'));
      waiting = active.filter((target) => target.health !== 'up' || Date.parse(target.lastScrape) < reloadedAt).map((target) => `${target.labels.instance} ${target.labels.job} ${target.health}`);
      if (active.length > 0 && waiting.length === 0) return;
    }
    await sleep(2000);
  }
  throw new Error(`monitor: fleet's targets not scraped ${timeoutMs / 1000} s after the scrape interval changed: ${waiting.slice(0, 5).join(', ')}`);
}

interface ActiveTarget {
  labels: Record<string, string>;
  health: string;
  lastScrape: string;
}

/** Changes one managed file on one host behind fleet's back (the drift a check must find). */
export async function tamperWithOneFile(host: LabHost): Promise<string> {
  const file = '/etc/alloy/config.alloy';
  const result = await runInLabHost(host, `echo '// changed by hand (fleet bench)' >> ${file}`);
  if (result.code !== 0) throw new Error(`${host.name}: could not change ${file}: ${result.stderr.trim()}`);
  return `${host.name}:${file}`;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
