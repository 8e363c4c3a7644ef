import type { MachineInfo } from './machine.ts';
import { formatTable, type TableFormat } from './report.ts';

export interface ScalePoint {
  hosts: number;
  wallSeconds: number;
  wallPerHostMs: number;
  fleetCpuSeconds: number;
  fleetCpuPerHostMs: number;
  peakRssMB: number;
  /** The sshd listener and everything it started (per-login sshd processes, the commands fleet ran). */
  sshdCpuSeconds: number;
  machineCpuSeconds: number;
  backgroundCores: number;
  /** The rest of the machine's work during the run, net of the background (the container's systemd, the kernel). */
  otherCpuSeconds: number;
  inSync: number;
  sessionsPerHost: number;
  commandsPerHost: number;
  backgroundHigh: boolean;
  problems: string[];
  timedOut: boolean;
}

export interface ScaleResults {
  kind: 'scale';
  finishedAt: string;
  commit: string;
  machine: MachineInfo;
  forks?: number;
  playbookTasks: number;
  secondsPerHostLimit: number;
  points: ScalePoint[];
}

/** Targets of issue 11 for the controller. */
export const SCALE_TARGETS = { rssAt1000MB: 400, flatFrom: 100, flatTo: 1000, flatTolerance: 1.25 } as const;

const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '');

export function renderScaleTable(results: ScaleResults, format: TableFormat): string {
  const baseline = results.points.find((point) => point.hosts === SCALE_TARGETS.flatFrom);
  const rows = [['hosts', 'wall s', 'wall ms/host', 'x at 100', 'fleet CPU s', 'fleet CPU ms/host', 'sshd CPU s', 'other CPU s', 'peak RSS MB', 'sessions/cmds per host', 'in sync', 'target', 'result']];
  for (const point of results.points) {
    const ratio = baseline ? point.wallPerHostMs / baseline.wallPerHostMs : NaN;
    const targets: string[] = [];
    const missed: string[] = [];
    if (point.hosts === SCALE_TARGETS.flatTo) {
      targets.push(`RSS < ${SCALE_TARGETS.rssAt1000MB} MB`, `ms/host <= ${SCALE_TARGETS.flatTolerance}x at ${SCALE_TARGETS.flatFrom}`);
      if (!(point.peakRssMB < SCALE_TARGETS.rssAt1000MB)) missed.push(`RSS ${fixed(point.peakRssMB, 0)} MB`);
      if (!(ratio <= SCALE_TARGETS.flatTolerance)) missed.push(`ms/host ${fixed(ratio)}x`);
    }
    const notes = [
      ...(point.problems.length ? [`INVALID: ${point.problems.join('; ')}`] : []),
      ...(point.backgroundHigh ? ['FLAGGED: background above 20% of the machine'] : []),
    ];
    rows.push([
      String(point.hosts),
      fixed(point.wallSeconds),
      fixed(point.wallPerHostMs),
      point === baseline ? '1.0' : fixed(ratio),
      fixed(point.fleetCpuSeconds),
      fixed(point.fleetCpuPerHostMs),
      fixed(point.sshdCpuSeconds),
      fixed(point.otherCpuSeconds),
      fixed(point.peakRssMB, 0),
      `${fixed(point.sessionsPerHost)} / ${fixed(point.commandsPerHost)}`,
      `${point.inSync}/${point.hosts}`,
      targets.join(', '),
      [targets.length ? (missed.length ? `missed: ${missed.join(', ')}` : 'met') : '', ...notes].filter(Boolean).join('; '),
    ]);
  }
  const header = [
    `fleet bench --scale: \`fleet check\` with a ${results.playbookTasks}-task playbook, every host a loopback address answered by one real sshd (OpenSSH, Debian 12) in a private network namespace, ` +
      `${results.forks ? `--forks ${results.forks}` : "fleet's default forks"}, commit ${results.commit}, ${results.finishedAt.replace(/\.\d+Z$/, 'Z')}`,
    `machine: ${results.machine.cpuModel}, ${results.machine.cores} cores, ${results.machine.memoryGiB} GiB, Linux ${results.machine.kernel}, Node ${results.machine.node}; ` +
      `known_hosts holds the point's hosts (strict checking); each point is ended after ${results.secondsPerHostLimit} s per host plus a minute`,
  ];
  const legend = 'sshd CPU = the sshd listener and all it started (logins, the commands fleet ran); other = the rest of the machine net of the background (the container\'s systemd, the kernel). sshd and fleet share the same cores.';
  return format === 'markdown'
    ? `${header.map((line) => `${line}  `).join('\n')}\n\n${formatTable(rows, 'markdown')}\n\n${legend}\n`
    : `${header.join('\n')}\n\n${formatTable(rows, 'text')}\n\n${legend}\n`;
}
