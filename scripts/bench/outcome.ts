import type { FleetRun } from './run-fleet.ts';

interface HostEntry {
  host: string;
  status?: string;
  state?: string;
  error?: string | { step?: string; message?: string };
}

/**
 * Whether a run did what the figure claims to measure; a figure from a run that did not (a host
 * failed, a converged run changed something) is kept but reported as invalid, with the reason.
 */
export function problemsOf(kind: 'cold' | 'converged' | 'check' | 'status' | 'check-tampered' | 'scale-check', run: FleetRun, expectedHosts: number, tamperedHost?: string): string[] {
  if (run.timedOut) return ['did not finish in time (ended by the benchmark)'];
  const report = run.report;
  if (!report) return [`no JSON report (exit ${run.exitCode}): ${run.stderrTail.split('\n').pop() ?? ''}`];
  const hosts = (report.hosts ?? []) as HostEntry[];
  const problems: string[] = [];
  if (hosts.length !== expectedHosts) problems.push(`${hosts.length} hosts in the report, expected ${expectedHosts}`);
  const notOk = (entries: HostEntry[], allowed: string[]) => entries.filter((entry) => !allowed.includes(entry.status ?? entry.state ?? ''));
  const errorOf = (entry: HostEntry) => (typeof entry.error === 'string' ? entry.error : entry.error ? `${entry.error.step}: ${entry.error.message}` : '');
  const driftOf = (entry: HostEntry) => ((report.drift ?? []) as { host: string; resource: string; reason: string }[]).filter((item) => item.host === entry.host).map((item) => `${item.resource}: ${item.reason}`).join('; ');
  const describe = (entries: HostEntry[]) =>
    entries.slice(0, 3).map((entry) => `${entry.host} ${entry.status ?? entry.state}${errorOf(entry) || driftOf(entry) ? ` (${(errorOf(entry) || driftOf(entry)).slice(0, 300)})` : ''}`).join(', ') +
    (entries.length > 3 ? `, and ${entries.length - 3} more` : '');
  switch (kind) {
    case 'cold':
    case 'converged': {
      const bad = notOk(hosts, kind === 'cold' ? ['changed', 'ok'] : ['ok']);
      if (bad.length) problems.push(kind === 'converged' ? `not converged: ${describe(bad)}` : `hosts not done: ${describe(bad)}`);
      const registration = (report.registration ?? []) as HostEntry[];
      const badRegistration = notOk(registration, kind === 'cold' ? ['changed', 'ok'] : ['ok']);
      if (badRegistration.length) problems.push(`registration: ${describe(badRegistration)}`);
      if (run.exitCode !== 0) problems.push(`exit code ${run.exitCode}`);
      break;
    }
    case 'check':
    case 'scale-check': {
      const bad = notOk(hosts, ['in-sync']);
      if (bad.length) problems.push(`not in sync: ${describe(bad)}`);
      if (run.exitCode !== 0) problems.push(`exit code ${run.exitCode}`);
      break;
    }
    case 'status': {
      // A status row per host: reachable, nothing drifted, no error.
      const bad = (hosts as (HostEntry & { reachable?: boolean; drift?: number })[]).filter((entry) => !entry.reachable || entry.drift !== 0 || entry.error);
      if (bad.length) problems.push(`not reachable and in sync: ${bad.slice(0, 3).map((entry) => `${entry.host} (${entry.reachable ? `drift ${entry.drift}` : 'unreachable'}${entry.error ? `: ${errorOf(entry).slice(0, 300)}` : ''})`).join(', ')}`);
      if (run.exitCode !== 0) problems.push(`exit code ${run.exitCode}`);
      break;
    }
    case 'check-tampered': {
      const drifted = hosts.filter((entry) => entry.state === 'drift');
      if (drifted.length !== 1 || drifted[0]!.host !== tamperedHost) problems.push(`expected drift on ${tamperedHost} only, found it on: ${describe(drifted) || 'no host'}`);
      const bad = notOk(hosts, ['in-sync', 'drift']);
      if (bad.length) problems.push(`not checked: ${describe(bad)}`);
      if (run.exitCode !== 2) problems.push(`exit code ${run.exitCode}, expected 2 (drift)`);
      break;
    }
  }
  return problems;
}
