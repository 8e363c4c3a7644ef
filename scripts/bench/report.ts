import type { Figure, LabResults, Sample } from './results.ts';

export type TableFormat = 'text' | 'markdown';

/** Targets of issue 11 ("50 hosts" means 49 + the monitor). */
export const TARGETS = {
  startupSeconds: 0.3,
  coldApplySeconds: 60,
  /** Converged apply and drift checks: wall time and the machine's CPU per host against the floor's. */
  floorRatio: 2,
  peakRssMB: 120,
  targetHosts: 50,
} as const;

/** Allowance for run-to-run noise when status is compared with check (one median of a few runs each). */
const STATUS_NOISE = 0.1;

interface Verdict {
  target: string;
  missed: string[];
}

const fixed = (value: number | undefined, digits = 1) => (value === undefined || !Number.isFinite(value) ? '' : value.toFixed(digits));
const kib = (bytes: number | undefined) => (bytes === undefined ? '' : bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(0)} KiB`);

function verdictOf(figure: Figure, floor: Sample | undefined, results: LabResults): Verdict {
  const m = figure.median;
  const missed: string[] = [];
  const rss = () => {
    if ((m.peakRssMB ?? 0) >= TARGETS.peakRssMB) missed.push(`RSS ${fixed(m.peakRssMB, 0)} MB`);
  };
  switch (figure.key) {
    case 'help':
    case 'inventory':
      if (m.wallSeconds >= TARGETS.startupSeconds) missed.push(`${fixed(m.wallSeconds, 2)} s`);
      return { target: `< ${TARGETS.startupSeconds} s`, missed };
    case 'floor':
      return { target: 'the reference', missed };
    case 'status': {
      // status is check's pass plus a few read-only commands in the same round trip: it must cost no more.
      const check = results.figures.find((candidate) => candidate.key === 'check')?.median;
      if (check) {
        if ((m.commandsPerHost ?? NaN) > (check.commandsPerHost ?? NaN)) missed.push(`cmds/host ${fixed(m.commandsPerHost)} > ${fixed(check.commandsPerHost)}`);
        if (m.wallSeconds > check.wallSeconds * (1 + STATUS_NOISE)) missed.push(`wall ${fixed(m.wallSeconds / check.wallSeconds, 2)}x check`);
        if ((m.cpuPerHost ?? NaN) > (check.cpuPerHost ?? NaN) * (1 + STATUS_NOISE)) missed.push(`CPU/host ${fixed((m.cpuPerHost ?? NaN) / (check.cpuPerHost ?? NaN), 2)}x check`);
      }
      return { target: `<= check (cmds/host; wall and CPU/host within ${STATUS_NOISE * 100}%)`, missed };
    }
    case 'cold': {
      if (m.wallSeconds >= TARGETS.coldApplySeconds) missed.push(`${fixed(m.wallSeconds)} s`);
      const repeated = Object.entries(m.downloads ?? {}).filter(([, count]) => count > 1);
      if (repeated.length) missed.push(`downloaded ${repeated.map(([path, count]) => `${path.split('/').pop()} ${count}x`).join(', ')}`);
      if ((m.uploadedBytesPerHost ?? 0) >= 2 * results.binariesBytes) missed.push(`uploads ${kib(m.uploadedBytesPerHost)}/host`);
      rss();
      return { target: `< ${TARGETS.coldApplySeconds} s, archives once, uploads < 2x binaries, RSS < ${TARGETS.peakRssMB} MB`, missed };
    }
    default: {
      if (floor) {
        const wallRatio = m.wallSeconds / floor.wallSeconds;
        const cpuRatio = (m.cpuPerHost ?? NaN) / (floor.cpuPerHost ?? NaN);
        if (!(wallRatio <= TARGETS.floorRatio)) missed.push(`wall ${fixed(wallRatio)}x`);
        if (!(cpuRatio <= TARGETS.floorRatio)) missed.push(`CPU/host ${fixed(cpuRatio)}x`);
      }
      rss();
      return { target: `<= ${TARGETS.floorRatio}x floor (wall, CPU/host), RSS < ${TARGETS.peakRssMB} MB`, missed };
    }
  }
}

export function formatTable(rows: string[][], format: TableFormat): string {
  if (format === 'markdown') {
    const [head, ...body] = rows;
    return [head!, head!.map(() => '---'), ...body].map((row) => `| ${row.join(' | ')} |`).join('\n');
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
}

/** The lab benchmark's table: each figure (median of the repeats) against its target. */
export function renderLabTable(results: LabResults, format: TableFormat): string {
  const floor = results.figures.find((figure) => figure.key === 'floor')?.median;
  const rows = [['what', 'wall s', 'x floor', 'fleet CPU s', 'CPU s/host', 'x floor', 'machine CPU s/host', 'peak RSS MB', 'sessions/cmds per host', 'uploaded/host', 'background cores', 'target', 'result']];
  for (const figure of results.figures) {
    const m = figure.median;
    const verdict = verdictOf(figure, floor, results);
    // A problem may quote a whole remote command: its first line says enough in a table cell.
    const problems = m.problems.map((problem) => problem.replace(/: d=\$\(mktemp[\s\S]*?(?=\)(, |$))/g, '').replace(/\s*\n[\s\S]*/, '').slice(0, 200));
    const notes = [
      ...(problems.length ? [`INVALID: ${problems.join('; ')}`] : []),
      ...(m.backgroundHigh ? [`FLAGGED: background above ${results.backgroundLimitShare * 100}% of the machine`] : []),
    ];
    const started = figure.hosts > 0;
    rows.push([
      figure.label,
      fixed(m.wallSeconds, 2),
      started && floor && figure.key !== 'floor' ? fixed(m.wallSeconds / floor.wallSeconds) : '',
      fixed(m.fleetCpuSeconds, 2),
      fixed(m.cpuPerHost, 3),
      started && floor && figure.key !== 'floor' ? fixed((m.cpuPerHost ?? NaN) / (floor.cpuPerHost ?? NaN)) : '',
      fixed(m.netCpuPerHost, 3),
      fixed(m.peakRssMB, 0),
      started ? `${fixed(m.sessionsPerHost)} / ${fixed(m.commandsPerHost)}` : '',
      started ? kib(m.uploadedBytesPerHost) : '',
      fixed(m.backgroundCores, 2),
      verdict.target,
      [verdict.missed.length ? `missed: ${verdict.missed.join(', ')}` : 'met', ...notes].join('; '),
    ]);
  }
  const bg = results.idleBackground;
  const header = [
    `fleet bench: ${results.hosts} lab hosts (the monitor and ${results.hosts - 1} hosts), median of ${results.repeats}, ` +
      `${results.forks ? `--forks ${results.forks}` : "fleet's default forks"}, commit ${results.commit}, ${results.finishedAt.replace(/\.\d+Z$/, 'Z')}`,
    `machine: ${results.machine.cpuModel}, ${results.machine.cores} cores, ${results.machine.memoryGiB} GiB, Linux ${results.machine.kernel}, Node ${results.machine.node}`,
    `idle lab background: ${bg.coresBusy.toFixed(2)} cores busy (${(bg.share * 100).toFixed(0)}% of the machine, of which the lab hosts ${(bg.labCoresBusy ?? NaN).toFixed(2)}; load average ${bg.loadAverage}); ` +
      `Prometheus scrapes every ${results.scrapeIntervals.coldApply} during cold applies, every ${results.scrapeIntervals.otherwise} otherwise`,
    `boot: ${results.boots.map((boot) => `${boot.seconds.toFixed(0)} s${boot.retried.length ? ` (booted again: ${boot.retried.join(', ')})` : ''}`).join(', ')}` +
      (results.hosts === TARGETS.targetHosts ? '' : `; the targets are for ${TARGETS.targetHosts} hosts`),
  ];
  const legend =
    'CPU s/host = (fleet\'s CPU + the CPU of every process of the lab hosts, read from their process trees, minus what the idle hosts use) / hosts: the work of the run, whatever else runs; ' +
    'machine CPU s/host = busy CPU of the whole machine (/proc/stat) during the run minus the background measured around it, per host (the cross-check; meaningless when flagged); ' +
    'cmds and uploaded/host = fleet\'s own count per SSH session (--json connection); background = cores busy with other work around the run (the idle lab and other users).';
  return format === 'markdown'
    ? `${header.map((line) => `${line}  `).join('\n')}\n\n${formatTable(rows, 'markdown')}\n\n${legend}\n`
    : `${header.join('\n')}\n\n${formatTable(rows, 'text')}\n\n${legend}\n`;
}
