import type { Background, MachineInfo } from './machine.ts';
import { median } from './machine.ts';

/** One repeat of one figure. */
export interface Sample {
  wallSeconds: number;
  fleetCpuSeconds?: number;
  peakRssMB?: number;
  /** Busy CPU seconds of the whole machine during the run. */
  machineCpuSeconds?: number;
  /** Cores the machine was busy with before and after the run while the benchmark was idle (mean). */
  backgroundCores?: number;
  /** machineCpuSeconds minus the background over the run's wall time: the work the run made happen. */
  netCpuSeconds?: number;
  netCpuPerHost?: number;
  /**
   * CPU of every process of the lab hosts during the run (read from their process trees, so other load does
   * not count), minus what the idle hosts use over the same time (sampled around the run).
   */
  hostsCpuSeconds?: number;
  /** (fleet's CPU + the hosts' CPU) per host: the work of the run itself, measured directly. */
  cpuPerHost?: number;
  sessionsPerHost?: number;
  /** Commands fleet ran per host, as fleet counts them (--json `connection`), else as counted at ssh2. */
  commandsPerHost?: number;
  /** Commands per host counted at ssh2 by the benchmark's preload (the cross-check). */
  ssh2CommandsPerHost?: number;
  /** Bytes fleet uploaded per host, as fleet counts them (--json `connection`), else SFTP bytes counted at ssh2. */
  uploadedBytesPerHost?: number;
  /** Everything fleet sent to a host on the SSH socket (commands, SFTP, protocol). */
  wireBytesSentPerHost?: number;
  sftpBytesPerHost?: number;
  /** The slowest host's own time in the run, and the Prometheus registration step's (from fleet's --json). */
  slowestHostSeconds?: number;
  registrationSeconds?: number;
  /** Release archives the mirror served during the run, by path (cold apply). */
  downloads?: Record<string, number>;
  /** The background exceeded a fifth of the machine: the figure is not trustworthy. */
  backgroundHigh?: boolean;
  /** Why the run does not show what the figure claims (a host failed, drift where none was expected...). */
  problems: string[];
}

export interface Figure {
  key: 'help' | 'inventory' | 'floor' | 'cold' | 'converged' | 'check' | 'status' | 'check-tampered';
  label: string;
  /** Hosts the run talked to. */
  hosts: number;
  samples: Sample[];
  median: Sample;
}

export interface LabResults {
  kind: 'lab';
  finishedAt: string;
  commit: string;
  machine: MachineInfo;
  hosts: number;
  repeats: number;
  forks?: number;
  /** Busy cores of the idle lab (booted, before any run) and the limit beyond which figures are flagged. */
  idleBackground: Background;
  backgroundLimitShare: number;
  scrapeIntervals: { coldApply: string; otherwise: string };
  boots: { seconds: number; retried: string[] }[];
  /** Sizes of the binaries a cold apply must upload to each host (node_exporter + alloy stand-in). */
  binariesBytes: number;
  tamperedFile?: string;
  figures: Figure[];
}

const NUMERIC: (keyof Sample)[] = [
  'wallSeconds', 'fleetCpuSeconds', 'peakRssMB', 'machineCpuSeconds', 'backgroundCores', 'netCpuSeconds', 'netCpuPerHost', 'hostsCpuSeconds', 'cpuPerHost',
  'sessionsPerHost', 'commandsPerHost', 'ssh2CommandsPerHost', 'uploadedBytesPerHost', 'wireBytesSentPerHost', 'sftpBytesPerHost', 'slowestHostSeconds', 'registrationSeconds',
];

/** The median of each measure over the repeats; flags and problems of any repeat carry over. */
export function summarize(samples: readonly Sample[]): Sample {
  const summary: Sample = { wallSeconds: median(samples.map((sample) => sample.wallSeconds)), problems: [...new Set(samples.flatMap((sample) => sample.problems))] };
  for (const key of NUMERIC) {
    const values = samples.map((sample) => sample[key]).filter((value): value is number => typeof value === 'number' && Number.isFinite(value));
    if (values.length) (summary as unknown as Record<string, number>)[key] = median(values);
  }
  if (samples.some((sample) => sample.backgroundHigh)) summary.backgroundHigh = true;
  const downloads = samples.map((sample) => sample.downloads).filter((value) => value !== undefined);
  if (downloads.length) summary.downloads = Object.fromEntries(Object.keys(Object.assign({}, ...downloads)).map((path) => [path, Math.max(...downloads.map((entry) => entry[path] ?? 0))]));
  return summary;
}
