// The lab benchmark (scripts/bench.sh N): see measureLab. Figures, not assertions.
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { labKeyPath } from '../../src/lab/layout.ts';
import { ALLOY_STANDIN } from '../../src/lab/mirror.ts';
import { setGlobalScrapeInterval, startBenchLab, tamperWithOneFile, type BenchLab } from './bench-lab.ts';
import { measureFloor } from './floor.ts';
import { describeMachine, sampleBackground, treeCpuSeconds, type Background } from './machine.ts';
import { problemsOf } from './outcome.ts';
import { renderLabTable } from './report.ts';
import { summarize, type Figure, type LabResults, type Sample } from './results.ts';
import { PROJECT_ROOT, reportedUsage, runFleet, totalCounters, type FleetRun } from './run-fleet.ts';

/** A figure taken while the machine was busier than this share with other work is flagged. */
const BACKGROUND_LIMIT_SHARE = 0.2;
const BACKGROUND_SAMPLE_SECONDS = 4;
const COLD_SCRAPE_INTERVAL = '5s';
// Long enough that scrapes cost little between runs; the benchmark waits about one interval for the first
// scrapes. Written as Prometheus prints durations (60s reads back as 1m).
const QUIET_SCRAPE_INTERVAL = '1m';
const QUIET_SCRAPE_WAIT_MS = 3 * 60_000;
const RUN_TIMEOUT_MS = 20 * 60_000;
const NODE_EXPORTER_BINARY = '/usr/bin/prometheus-node-exporter';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    repeat: { type: 'string', default: '3' },
    forks: { type: 'string' },
    json: { type: 'string', default: join(PROJECT_ROOT, 'scripts/bench/results/lab.json') },
  },
});
const total = Number(positionals[0] ?? '8');
const repeats = Number(values.repeat);
if (!Number.isInteger(total) || total < 2 || total > 100) throw new Error(`bench: N must be 2..100 hosts (the monitor and N-1 lab hosts), got ${positionals[0]}`);
if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`bench: --repeat must be at least 1, got ${values.repeat}`);
const forkArgs = values.forks ? ['--forks', values.forks] : [];
const log = (line: string) => process.stderr.write(`bench ${new Date().toISOString().slice(11, 19)}: ${line}\n`);

const machine = describeMachine();
const cores = machine.cores;
let lastBackground: Background | undefined;
let currentLab: BenchLab | undefined;

/** CPU seconds of every process of every lab host so far. */
const labCpuSeconds = (lab: BenchLab) => lab.hosts.reduce((sum, host) => sum + treeCpuSeconds(host.pid), 0);

/** Samples the background, and remembers it as the "after" of the previous run and the "before" of the next. */
async function background(): Promise<Background> {
  const lab = currentLab;
  lastBackground = await sampleBackground(BACKGROUND_SAMPLE_SECONDS, lab ? () => labCpuSeconds(lab) : undefined);
  return lastBackground;
}

/** The hosts' CPU during a run minus what the idle hosts use anyway (Prometheus, systemd), from the samples around it. */
function netOfIdleHosts(hostsCpu: number, wallSeconds: number, before: Background, after: Background): number {
  return hostsCpu - (((before.labCoresBusy ?? 0) + (after.labCoresBusy ?? 0)) / 2) * wallSeconds;
}

/** Turns a run into a sample: CPU net of the background around it, SSH counters per host, and what went wrong. */
function sampleOf(run: FleetRun, hostsCpuTotal: number, before: Background, after: Background, hosts: number, problems: string[]): Sample {
  const hostsCpuSeconds = netOfIdleHosts(hostsCpuTotal, run.wallSeconds, before, after);
  const backgroundCores = (before.coresBusy + after.coresBusy) / 2;
  const netCpuSeconds = run.machineCpuSeconds - backgroundCores * run.wallSeconds;
  const counted = totalCounters(run.counters);
  const usage = reportedUsage(run.report);
  const durations = (entries: unknown) => ((entries ?? []) as { durationMs?: number }[]).map((entry) => (entry.durationMs ?? 0) / 1000);
  const hostSeconds = durations(run.report?.hosts);
  const registrationSeconds = durations(run.report?.registration);
  return {
    wallSeconds: run.wallSeconds,
    fleetCpuSeconds: run.fleetCpuSeconds,
    peakRssMB: run.peakRssMB,
    machineCpuSeconds: run.machineCpuSeconds,
    backgroundCores,
    netCpuSeconds,
    netCpuPerHost: netCpuSeconds / hosts,
    hostsCpuSeconds,
    cpuPerHost: (run.fleetCpuSeconds + hostsCpuSeconds) / hosts,
    sessionsPerHost: counted.sessions / hosts,
    commandsPerHost: (usage?.commands ?? counted.commands) / hosts,
    ssh2CommandsPerHost: counted.commands / hosts,
    uploadedBytesPerHost: (usage?.uploadedBytes ?? counted.sftpBytesWritten) / hosts,
    wireBytesSentPerHost: counted.wireBytesSent / hosts,
    sftpBytesPerHost: counted.sftpBytesWritten / hosts,
    ...(hostSeconds.length ? { slowestHostSeconds: Math.max(...hostSeconds) } : {}),
    ...(registrationSeconds.length ? { registrationSeconds: Math.max(...registrationSeconds) } : {}),
    backgroundHigh: Math.max(before.share, after.share) > BACKGROUND_LIMIT_SHARE,
    problems,
  };
}

/** A run's problems, logged as soon as they are known: a later step that fails ends the benchmark before its table. */
function logged(problems: string[]): string[] {
  for (const problem of problems) log(`  problem: ${problem}`);
  return problems;
}

function figure(key: Figure['key'], label: string, hosts: number, samples: Sample[]): Figure {
  const result = { key, label, hosts, samples, median: summarize(samples) };
  log(`${label}: median ${result.median.wallSeconds.toFixed(2)} s${result.median.problems.length ? ` (problems: ${result.median.problems.join('; ')})` : ''}`);
  return result;
}

/** Runs fleet `repeats` times against the lab, each run between two background samples. */
async function measureFleetRuns(lab: BenchLab, kind: 'converged' | 'check' | 'status' | 'check-tampered', args: string[], tampered?: string): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let i = 0; i < repeats; i++) {
    const before = lastBackground ?? (await background());
    log(`${kind} ${i + 1}/${repeats}`);
    const hostsBefore = labCpuSeconds(lab);
    const run = await runFleet([...args, lab.inventoryFile, '--json', ...forkArgs], { timeoutMs: RUN_TIMEOUT_MS });
    const hostsCpu = labCpuSeconds(lab) - hostsBefore;
    const after = await background();
    samples.push(sampleOf(run, hostsCpu, before, after, lab.hosts.length, logged(problemsOf(kind, run, lab.hosts.length, tampered))));
  }
  return samples;
}

async function measureStartup(args: string[]): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let i = 0; i < repeats; i++) {
    const run = await runFleet(args, { countConnections: false, timeoutMs: 60_000 });
    samples.push({ wallSeconds: run.wallSeconds, fleetCpuSeconds: run.fleetCpuSeconds, peakRssMB: run.peakRssMB, problems: run.exitCode === 0 ? [] : [`exit code ${run.exitCode}`] });
  }
  return samples;
}

async function measureLab(): Promise<LabResults> {
  const figures: Figure[] = [];
  figures.push(figure('help', '`fleet --help`', 0, await measureStartup(['--help'])));
  figures.push(figure('inventory', '`fleet inventory` of the example', 0, await measureStartup(['inventory', 'inventory.example.yaml'])));

  const work = await mkdtemp(join(tmpdir(), 'fleet-bench-'));
  log(`booting ${total} lab hosts (the monitor and ${total - 1} hosts) at once`);
  const { lab, boot } = await startBenchLab(total, work);
  currentLab = lab;
  const boots = [boot];
  log(`booted in ${boot.seconds.toFixed(1)} s${boot.retried.length ? `; booted again: ${boot.retried.join(', ')}` : ''}`);
  try {
    const idleBackground = await sampleBackground(10, () => labCpuSeconds(lab));
    log(`idle lab background: ${idleBackground.coresBusy.toFixed(2)} of ${cores} cores (load ${idleBackground.loadAverage})`);
    lastBackground = idleBackground;

    // Cold applies: each on freshly booted hosts (volatile overlays) with an empty artifact cache.
    const cold: Sample[] = [];
    for (let i = 0; i < repeats; i++) {
      if (i > 0) {
        const reboot = await lab.reboot();
        boots.push(reboot);
        log(`rebooted in ${reboot.seconds.toFixed(1)} s${reboot.retried.length ? `; booted again: ${reboot.retried.join(', ')}` : ''}`);
        lastBackground = undefined;
      }
      const cache = await mkdtemp(join(tmpdir(), 'fleet-bench-cache-'));
      const before = lastBackground ?? (await background());
      lab.mirrorRequests.length = 0;
      log(`cold apply ${i + 1}/${repeats}`);
      const hostsBefore = labCpuSeconds(lab);
      const run = await runFleet(['apply', lab.inventoryFile, '--json', ...forkArgs], { env: { FLEET_CACHE_DIR: cache }, timeoutMs: RUN_TIMEOUT_MS });
      const hostsCpu = labCpuSeconds(lab) - hostsBefore;
      const downloads: Record<string, number> = {};
      for (const path of lab.mirrorRequests.filter((request) => /\.(zip|tar\.gz)$/.test(request))) downloads[path] = (downloads[path] ?? 0) + 1;
      const after = await background();
      cold.push({ ...sampleOf(run, hostsCpu, before, after, lab.hosts.length, logged(problemsOf('cold', run, lab.hosts.length))), downloads });
      await rm(cache, { recursive: true, force: true });
    }

    // Outside the cold apply's registration nothing needs fresh scrapes: scrape rarely, so the idle lab stays idle.
    log(`scrape interval ${QUIET_SCRAPE_INTERVAL} from now on; waiting for the first scrapes`);
    await setGlobalScrapeInterval(lab.monitor, QUIET_SCRAPE_INTERVAL, QUIET_SCRAPE_WAIT_MS);
    await background();
    const floor: Sample[] = [];
    for (let i = 0; i < repeats; i++) {
      const before = lastBackground!;
      const hostsBefore = labCpuSeconds(lab);
      const run = await measureFloor(lab.hosts.map((host) => host.address), labKeyPath());
      const hostsCpu = labCpuSeconds(lab) - hostsBefore;
      const after = await background();
      const backgroundCores = (before.coresBusy + after.coresBusy) / 2;
      const netCpuSeconds = run.machineCpuSeconds - backgroundCores * run.wallSeconds;
      floor.push({
        wallSeconds: run.wallSeconds,
        fleetCpuSeconds: run.clientCpuSeconds,
        machineCpuSeconds: run.machineCpuSeconds,
        backgroundCores,
        netCpuSeconds,
        netCpuPerHost: netCpuSeconds / lab.hosts.length,
        hostsCpuSeconds: netOfIdleHosts(hostsCpu, run.wallSeconds, before, after),
        cpuPerHost: (run.clientCpuSeconds + netOfIdleHosts(hostsCpu, run.wallSeconds, before, after)) / lab.hosts.length,
        sessionsPerHost: 1,
        commandsPerHost: 1,
        backgroundHigh: Math.max(before.share, after.share) > BACKGROUND_LIMIT_SHARE,
        problems: run.failed.length ? [`${run.failed.length} host(s) failed: ${run.failed.slice(0, 3).join('; ')}`] : [],
      });
    }
    figures.push(figure('floor', 'floor: ssh2 connect + `true`, all hosts at once', lab.hosts.length, floor));
    figures.push(figure('cold', 'cold apply (fresh hosts)', lab.hosts.length, cold));
    figures.push(figure('converged', 'converged apply', lab.hosts.length, await measureFleetRuns(lab, 'converged', ['apply'])));
    figures.push(figure('check', 'drift check, no drift', lab.hosts.length, await measureFleetRuns(lab, 'check', ['check'])));
    figures.push(figure('status', '`fleet status`, no drift', lab.hosts.length, await measureFleetRuns(lab, 'status', ['status'])));
    const tamperedFile = await tamperWithOneFile(lab.hosts.find((host) => host.name === 'lab1') ?? lab.hosts[0]!);
    figures.push(figure('check-tampered', 'drift check, one file changed on one host', lab.hosts.length, await measureFleetRuns(lab, 'check-tampered', ['check'], tamperedFile.split(':')[0])));

    return {
      kind: 'lab',
      finishedAt: new Date().toISOString(),
      commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim(),
      machine,
      hosts: lab.hosts.length,
      repeats,
      ...(values.forks ? { forks: Number(values.forks) } : {}),
      idleBackground,
      backgroundLimitShare: BACKGROUND_LIMIT_SHARE,
      scrapeIntervals: { coldApply: COLD_SCRAPE_INTERVAL, otherwise: QUIET_SCRAPE_INTERVAL },
      boots,
      binariesBytes: statSync(NODE_EXPORTER_BINARY).size + statSync(ALLOY_STANDIN).size,
      tamperedFile,
      figures,
    };
  } finally {
    await lab.stop();
    await rm(work, { recursive: true, force: true });
  }
}

const results = await measureLab();
await mkdir(dirname(values.json!), { recursive: true });
await writeFile(values.json!, `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`${renderLabTable(results, 'text')}\nJSON: ${values.json}\n`);
