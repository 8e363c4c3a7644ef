import { dirname } from 'node:path';
import type { Command } from 'commander';
import { driftExitCode, summarizeDrift, type DriftReport } from '../../drift/summary.ts';
import { renderDriftMetrics } from '../../drift/metrics.ts';
import { ExternalError } from '../../errors.ts';
import { shardMetricsFile } from '../../drift/shard-metrics-file.ts';
import { writeFileAtomically } from '../../local/write-atomic.ts';
import { collectBecomePasswords } from '../become-passwords.ts';
import { color } from '../colors.ts';
import { addHostOptions, type CommonOptions } from '../common-options.ts';
import { watchInterruptions } from '../interrupt.ts';
import { diffReplacer, maskCredentials } from '../output-diffs.ts';
import { unifiedDiff } from '../render-changes.ts';
import { formatSeconds } from '../reporter.ts';
import { formatTable } from '../table.ts';

interface CheckOptions extends CommonOptions {
  metricsFile?: string;
  diff: boolean;
  verifyHashes?: boolean;
}

const STATE_WORDS = { 'in-sync': color.green('in sync'), drift: color.yellow('DRIFT'), unreachable: color.magenta('UNREACHABLE'), failed: color.red('NOT CHECKED') };

export function registerCheck(program: Command): void {
  addHostOptions(
    program
      .command('check')
      .summary('read-only drift check: what no longer matches the inventory (for cron, timers, CI and alerts)')
      .description(
        'Plans exactly as apply does and writes nothing anywhere: no files, restarts, firewall changes or reloads on hosts or on ' +
          'Prometheus. Reports per host and resource what differs, in words (binary hash, content differs, service stopped or ' +
          'disabled, port closed, target missing or down in Prometheus, endpoint not answering, host unreachable). Repair with fleet apply.\n\n' +
          'Exit codes: 0 no drift; 2 drift found (also when other hosts were unreachable); 3 a host answered but could not be checked ' +
          '(sudo refused, a command failed); 4 hosts unreachable and no drift elsewhere; 1 bad inventory or arguments; 130 interrupted by Ctrl-C (143 by SIGTERM).\n\n' +
          'Examples:\n  fleet check inventory.yaml\n  fleet check inventory.yaml --json --limit web\n' +
          '  fleet check inventory.yaml --metrics-file /var/lib/node_exporter/textfile_collector/fleet.prom',
      )
      .argument('<inventory>', 'inventory YAML file')
      .argument('[playbooks...]', 'playbooks to check against (default: site)')
      .option('--metrics-file <path>', 'also write the result in Prometheus text format (atomically), for the textfile collector; with --shard K/N the name gets .shard-K-of-N before its extension (fleet.shard-0-of-4.prom)')
      .option('-D, --diff', 'also show the unified diff of each changed file (credentials masked; sensitive files hidden); without it only what differs, in words', false)
      .option('--verify-hashes', "hash every installed binary in full (by default a binary whose size, times and inode match fleet's record of its install is not re-read)"),
  ).action(async (inventoryFile: string, playbookNames: string[], options: CheckOptions) => {
    const startedAt = new Date();
    // Loaded when the command runs, not at start-up (see main.ts).
    const { loadHosts } = await import('../load-hosts.ts');
    const { buildPrograms, convergeHosts } = await import('../converge.ts');
    const { checkRegistrationInputs, runRegistration, withPrometheusServers } = await import('../registration.ts');
    const loaded = await loadHosts(inventoryFile, { limit: options.limit, shard: options.shard, extraVars: options.extraVars });
    const programs = await buildPrograms(loaded.selected, playbookNames, { tags: [] }, loaded, dirname(inventoryFile));
    checkRegistrationInputs(loaded);
    const register = loaded.inventory.raw.prometheus !== undefined;
    const passwords = await collectBecomePasswords(withPrometheusServers(loaded.selected, loaded, register));
    const interruption = watchInterruptions();
    const run = { check: true, diff: options.diff, verifyHashes: options.verifyHashes === true, forks: options.forks, passwords, signal: interruption.signal };
    const outcomes = await convergeHosts(loaded.selected, programs, run);
    const registration = register && !interruption.signal.aborted ? await runRegistration(loaded, { ...run, awaited: [] }) : [];
    const { describeRetry, writeRetryFile } = await import('../retry-file.ts');
    const retry = await writeRetryFile(inventoryFile, options, [...outcomes, ...registration], loaded.all.map((host) => host.name));
    const report = summarizeDrift(outcomes, registration, loaded.selected.map((host) => host.name), startedAt);
    if (options.metricsFile) {
      const metricsFile = shardMetricsFile(options.metricsFile, loaded.shard);
      await writeFileAtomically(metricsFile, renderDriftMetrics(report)).catch((error: Error) => {
        throw new ExternalError(`cannot write the metrics file ${metricsFile}: ${error.message}`);
      });
    }
    process.stdout.write(options.json ? `${JSON.stringify({ command: 'check', exitCode: driftExitCode(report), ...report, retryFile: retry?.path ?? null }, diffReplacer(options.diff), 2)}\n` : `${renderDriftReport(report, options.diff)}${describeRetry(retry, 'check')}`);
    process.exitCode = interruption.exitCode() ?? driftExitCode(report);
    interruption.dispose();
  });
}

function renderDriftReport(report: DriftReport, withDiff: boolean): string {
  const lines: string[] = [];
  for (const item of report.drift) {
    lines.push(`${item.host}: ${color.yellow('drift')} ${item.resource}: ${item.reason}`);
    if (withDiff && item.diff) lines.push(unifiedDiff(item.resource.replace(/^\w+ /, ''), item.diff.before, item.diff.after));
  }
  const rows = report.hosts.map((host) => {
    const drifted = host.resources.filter((resource) => resource.drifted).length;
    return [host.host, STATE_WORDS[host.state], host.state === 'drift' ? `${drifted} of ${host.resources.length} differ` : `${host.resources.length} checked`, formatSeconds(host.durationMs), host.error ? color.red(maskCredentials(host.error.split('\n')[0]!)) : ''];
  });
  const verdict = report.drift.length ? color.yellow(`${report.drift.length} difference(s); fleet apply repairs them`) : color.green('no drift');
  return `${lines.length ? `${lines.join('\n')}\n` : ''}\n${color.bold('DRIFT CHECK (read-only: nothing was changed)')}\n${formatTable(rows)}\n${verdict}\n`;
}
