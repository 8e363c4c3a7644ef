import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** Clock ticks per second of /proc/stat (USER_HZ); 100 on every Linux this runs on, asked anyway. */
const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU seconds the whole machine has spent busy since boot (every core, every process, every container). */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n').find((entry) => entry.startsWith('cpu '))!;
  // user nice system idle iowait irq softirq steal (guest time is already inside user)
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number) as number[];
  return (user! + nice! + system! + irq! + softirq! + (steal ?? 0)) / TICKS_PER_SECOND;
}

/** CPU seconds a process and its reaped children have used (utime, stime, cutime, cstime of /proc/PID/stat). */
export function processTreeSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((index) => Number(fields[index]));
  return (utime! + stime! + cutime! + cstime!) / TICKS_PER_SECOND;
}

export interface Background {
  /** CPU seconds per second the machine spent while the lab sat idle (1.0 = one core busy). */
  coresBusy: number;
  /** Share of the whole machine (coresBusy / cores). */
  share: number;
  sampledSeconds: number;
  loadAverage: string;
  /** Of coresBusy, what the lab hosts' own processes used (when a reader of their CPU was given). */
  labCoresBusy?: number;
}

/** Samples how busy the machine is while nothing of the benchmark runs: lab hosts' own work and other users'. */
export async function sampleBackground(seconds: number, labCpuSeconds?: () => number): Promise<Background> {
  const started = performance.now();
  const before = machineBusySeconds();
  const labBefore = labCpuSeconds?.();
  await sleep(seconds * 1000);
  const elapsed = (performance.now() - started) / 1000;
  const coresBusy = (machineBusySeconds() - before) / elapsed;
  const labAfter = labCpuSeconds?.();
  return {
    coresBusy,
    share: coresBusy / cpus().length,
    sampledSeconds: elapsed,
    loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    ...(labBefore !== undefined && labAfter !== undefined ? { labCoresBusy: (labAfter - labBefore) / elapsed } : {}),
  };
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
}

export function describeMachine(): MachineInfo {
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
    node: process.version,
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * CPU seconds of every process under `rootPid` (a lab host's nspawn: its systemd, sshd, services and
 * commands). Live processes count their own time and that of the children they reaped, and a process that
 * ends is added to its parent's, so the difference between two readings is the work done in between,
 * whatever else the machine was busy with.
 */
export function treeCpuSeconds(rootPid: number): number {
  let total = 0;
  const pending = [rootPid];
  while (pending.length) {
    const pid = pending.pop()!;
    try {
      total += processTreeSeconds(pid);
    } catch {
      continue; // ended meanwhile; its time is in its parent's now
    }
    pending.push(...childrenOf(pid));
  }
  return total;
}
