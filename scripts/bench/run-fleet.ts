import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineBusySeconds } from './machine.ts';

export const PROJECT_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const COUNTER_PRELOAD = join(PROJECT_ROOT, 'scripts/bench/count-connections.mjs');

/** What fleet did on one host at the SSH layer (see count-connections.mjs). */
export interface HostCounters {
  sessions: number;
  commands: number;
  sftpSessions: number;
  sftpBytesWritten: number;
  wireBytesSent: number;
  wireBytesReceived: number;
}

export interface FleetRun {
  args: string[];
  exitCode: number;
  /** Wall time of the whole process, start-up included, as a user waits for it. */
  wallSeconds: number;
  /** fleet's own CPU time (user + system, from /usr/bin/time). */
  fleetCpuSeconds: number;
  peakRssMB: number;
  /** Every core of the machine, busy seconds during the run (fleet, sshd and the hosts' work, and any background). */
  machineCpuSeconds: number;
  counters: Record<string, HostCounters>;
  /** fleet's --json report, when it printed one. */
  report?: Record<string, unknown>;
  stderrTail: string;
  timedOut: boolean;
}

export interface RunFleetOptions {
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Count SSH work with the preload (off for commands that open no session, like --help). */
  countConnections?: boolean;
}

/**
 * Runs `node bin/fleet.js ARGS` exactly as a user would, under /usr/bin/time (peak RSS, CPU), with the
 * SSH counters preloaded. A run that outlives its timeout is ended (its process group, which we started).
 */
export async function runFleet(args: string[], options: RunFleetOptions = {}): Promise<FleetRun> {
  const work = await mkdtemp(join(tmpdir(), 'fleet-bench-run-'));
  const statsFile = join(work, 'time');
  const countersFile = join(work, 'counters.json');
  const preload = options.countConnections === false ? [] : ['--import', COUNTER_PRELOAD];
  const busyBefore = machineBusySeconds();
  const child = spawn('/usr/bin/time', ['-f', '%e %U %S %M', '-o', statsFile, process.execPath, ...preload, join(PROJECT_ROOT, 'bin/fleet.js'), ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...options.env, FLEET_BENCH_COUNTERS: countersFile, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-20_000)));
  let timedOut = false;
  const timer = options.timeoutMs
    ? setTimeout(() => {
        timedOut = true;
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      }, options.timeoutMs)
    : undefined;
  const exitCode = await new Promise<number>((done) => child.on('close', (code) => done(code ?? 137)));
  clearTimeout(timer);
  const machineCpuSeconds = machineBusySeconds() - busyBefore;
  const stats = existsSync(statsFile) ? (await readFile(statsFile, 'utf8')).trim().split('\n').pop()!.split(' ').map(Number) : [];
  const [wallSeconds = NaN, user = NaN, system = NaN, rssKB = NaN] = stats;
  const counters = existsSync(countersFile) ? (JSON.parse(await readFile(countersFile, 'utf8')) as Record<string, HostCounters>) : {};
  await rm(work, { recursive: true, force: true });
  let report: Record<string, unknown> | undefined;
  try {
    report = JSON.parse(stdout) as Record<string, unknown>;
  } catch {
    report = undefined;
  }
  return {
    args,
    exitCode,
    wallSeconds,
    fleetCpuSeconds: user + system,
    peakRssMB: rssKB / 1024,
    machineCpuSeconds,
    counters,
    report,
    stderrTail: stderr.trim().split('\n').slice(-8).join('\n'),
    timedOut,
  };
}

/**
 * fleet's own count of commands and uploaded bytes (the `connection` of each host and registration result
 * in --json), summed over the run; undefined when this fleet does not report them.
 */
export function reportedUsage(report: Record<string, unknown> | undefined): { commands: number; uploadedBytes: number } | undefined {
  const entries = [...((report?.hosts ?? []) as { connection?: { commands: number; uploadedBytes: number } }[]), ...((report?.registration ?? []) as { connection?: { commands: number; uploadedBytes: number } }[])];
  const usages = entries.map((entry) => entry.connection).filter((usage) => usage !== undefined);
  if (usages.length === 0) return undefined;
  return usages.reduce((sum, usage) => ({ commands: sum.commands + usage.commands, uploadedBytes: sum.uploadedBytes + usage.uploadedBytes }), { commands: 0, uploadedBytes: 0 });
}

/** Sums the counters over hosts. */
export function totalCounters(counters: Record<string, HostCounters>): HostCounters & { hosts: number } {
  const total = { hosts: 0, sessions: 0, commands: 0, sftpSessions: 0, sftpBytesWritten: 0, wireBytesSent: 0, wireBytesReceived: 0 };
  for (const host of Object.values(counters)) {
    total.hosts += 1;
    for (const key of Object.keys(host) as (keyof HostCounters)[]) total[key] += host[key];
  }
  return total;
}
