import { dirname } from 'node:path';
import type { Command } from 'commander';
import { succeededHosts, type HostOutcome } from '../../engine/events.ts';
import { isChange } from '../../engine/host-plan.ts';
import type { Change } from '../../resources/types.ts';
import { collectBecomePasswords } from '../become-passwords.ts';
import { color } from '../colors.ts';
import { addHostOptions, type CommonOptions } from '../common-options.ts';
import { exitCodeFor } from '../exit-codes.ts';
import { watchInterruptions } from '../interrupt.ts';
import { UsageError } from '../../errors.ts';
import { parseSerial, type Serial } from '../../engine/batches.ts';
import { formatSeconds, paintStatus } from '../reporter.ts';
import { formatTable } from '../table.ts';
import { diffReplacer, maskCredentials } from '../output-diffs.ts';

interface ApplyOptions extends CommonOptions {
  check?: boolean;
  diff?: boolean;
  tags?: string;
  skipTags?: string;
  serial?: Serial;
  maxFailPercent?: number;
  register: boolean;
  verifyHashes?: boolean;
  pruneShardFiles?: boolean;
}

const tagList = (text: string | undefined) => (text ? text.split(',').map((tag) => tag.trim()).filter(Boolean) : []);

export function registerApply(program: Command): void {
  addHostOptions(
    program
      .command('apply')
      .summary('bring every host to the state the playbooks describe, then register it with Prometheus')
      .description(
        'Reads each host in one round trip, plans what differs (create, update, same), and changes only that. ' +
          'A second run on a converged host changes nothing. Runs playbooks/site.yaml (Node Exporter and Alloy) unless playbooks are named ' +
          "(a path, or a name looked up in playbooks/ next to the inventory, then in fleet's own). " +
          'When the inventory names Prometheus servers (prometheus.servers), the hosts are then registered as scrape targets ' +
          'and fleet waits until Prometheus reports them up.\n\n' +
          'Examples:\n  fleet apply inventory.yaml --check --diff      show what would change, change nothing\n' +
          '  fleet apply inventory.yaml node-exporter --limit web --forks 20\n  fleet apply inventory.yaml --tags config --json\n' +
          '  fleet apply inventory.yaml --serial 25% --max-fail-percent 10   roll out a quarter at a time, stop if a batch fails\n\n' +
          'Ctrl-C (or SIGTERM) starts nothing new, lets the steps in flight finish, prints the recap and exits 130 (143); ' +
          'a second Ctrl-C stops at once. Restarts owed by an interrupted or failed run are done by the next apply.',
      )
      .argument('<inventory>', 'inventory YAML file')
      .argument('[playbooks...]', 'playbooks to run, in order (default: site)')
      .option('-C, --check', 'plan only: report what would change and write nothing')
      .option('-D, --diff', 'show a unified diff for every changed file (sensitive files are masked)')
      .option('-t, --tags <tags>', 'only tasks with one of these tags, comma-separated ("register" for the Prometheus step); the services they notify and the checks of those services come along')
      .option('--skip-tags <tags>', 'leave out tasks (and checks) with one of these tags; a kept task still gets the restart or reload it notifies')
      .option('--serial <n|p%>', 'rolling run: hosts in batches of N (or P% of the selected hosts), each batch finished before the next starts', parseSerialOption)
      .option('--max-fail-percent <p>', 'stop after a batch whose share of failed or unreachable hosts is above P (0: stop at the first failure); the hosts left are reported as not attempted', parsePercentOption)
      .option('--no-register', 'skip the Prometheus registration step')
      .option('--prune-shard-files', 'without --shard: also delete the target files sharded runs wrote (fleet-node.shard-K-of-N.json), once the fleet is no longer run in shards')
      .option('--verify-hashes', "hash every installed binary in full (by default a binary whose size, times and inode match fleet's record of its install is not re-read)"),
  ).action(async (inventoryFile: string, playbookNames: string[], options: ApplyOptions) => {
    // Loaded when the command runs, not at start-up (see main.ts).
    const { loadHosts } = await import('../load-hosts.ts');
    const { buildPrograms, convergeHosts } = await import('../converge.ts');
    const { checkRegistrationInputs, openServersEarly, renderRegistration, runRegistration, withPrometheusServers } = await import('../registration.ts');
    const { renderChanges } = await import('../render-changes.ts');
    const { describeRetry, writeRetryFile } = await import('../retry-file.ts');
    const loaded = await loadHosts(inventoryFile, { limit: options.limit, shard: options.shard, extraVars: options.extraVars });
    const hosts = loaded.selected;
    const inventoryDir = dirname(inventoryFile);
    const tags = tagList(options.tags);
    const skipTags = tagList(options.skipTags);
    const programs = await buildPrograms(hosts, playbookNames, { tags, skipTags }, loaded, inventoryDir);
    checkRegistrationInputs(loaded);
    const register = options.register && loaded.inventory.raw.prometheus !== undefined && (tags.length === 0 || tags.includes('register')) && !skipTags.includes('register');
    const passwords = await collectBecomePasswords(withPrometheusServers(hosts, loaded, register));
    const interruption = watchInterruptions();
    const run = { check: options.check === true, diff: options.diff === true, verifyHashes: options.verifyHashes === true, forks: options.forks, passwords, serial: options.serial, maxFailPercent: options.maxFailPercent, signal: interruption.signal };
    const early = register ? openServersEarly(loaded, passwords) : undefined;
    const outcomes = await convergeHosts(hosts, programs, run);
    const healthy = succeededHosts(hosts, outcomes);
    const registration = register && !interruption.signal.aborted ? await runRegistration(loaded, { ...run, early, pruneShardFiles: options.pruneShardFiles === true, awaited: healthy, changed: outcomes.filter((outcome) => outcome.status === 'changed').map((outcome) => outcome.host) }) : [];
    early?.closeUnused();
    const retry = await writeRetryFile(inventoryFile, options, [...outcomes, ...registration], loaded.all.map((host) => host.name));

    if (options.json) {
      const notAttempted = outcomes.filter((outcome) => outcome.status === 'not-attempted').map((outcome) => outcome.host);
      process.stdout.write(`${JSON.stringify({ command: 'apply', check: options.check === true, interrupted: interruption.signal.aborted ? String(interruption.signal.reason) : undefined, notAttempted, hosts: outcomes, registration, retryFile: retry?.path ?? null }, diffReplacer(options.diff === true), 2)}\n`);
    } else {
      const details = outcomes.map((outcome) => renderChanges(outcome.host, outcome.result?.changes ?? [], options.diff === true)).filter(Boolean);
      if (details.length) process.stdout.write(`${details.join('\n')}\n`);
      process.stdout.write(`${renderRecap(outcomes, options.check === true)}${renderRegistration(registration, { diff: options.diff === true, check: options.check === true })}\n${describeRetry(retry, 'apply')}`);
    }
    process.exitCode = interruption.exitCode() ?? exitCodeFor([...outcomes, ...registration]);
    interruption.dispose();
  });
}

function renderRecap(outcomes: readonly HostOutcome<{ changes: Change[] }>[], check: boolean): string {
  const count = (changes: Change[] | undefined, changed: boolean) => String((changes ?? []).filter((change) => isChange(change) === changed).length);
  // sudo is the usual way: the recap names the method only in runs where some host used another.
  const otherBecome = outcomes.some((outcome) => outcome.connection?.become && outcome.connection.become !== 'sudo');
  const rows = outcomes.map((outcome) => [
    outcome.host,
    paintStatus(outcome.status),
    `ok=${count(outcome.result?.changes, false)}`,
    `${check ? 'would change' : 'changed'}=${count(outcome.result?.changes, true)}`,
    formatSeconds(outcome.durationMs),
    ...(otherBecome ? [outcome.connection?.become ? `become ${outcome.connection.become}` : ''] : []),
    outcome.error ? color.red(`${outcome.error.step ? `${outcome.error.step}: ` : ''}${maskCredentials(outcome.error.message.split('\n')[0]!)}`) : '',
  ]);
  const skipped = outcomes.filter((outcome) => outcome.status === 'not-attempted');
  const footer = skipped.length ? `\n${color.yellow(`${skipped.length} host(s) ${skipped[0]!.error!.message}: ${skipped.map((outcome) => outcome.host).join(', ')}`)}` : '';
  return `\n${color.bold(check ? 'CHECK RECAP (nothing was changed)' : 'APPLY RECAP')}\n${formatTable(rows)}${footer}`;
}

function parseSerialOption(value: string): Serial {
  const serial = parseSerial(value);
  if (!serial) throw new UsageError(`--serial ${value}: expected a number of hosts (5) or a percentage of them (25%)`);
  return serial;
}

function parsePercentOption(value: string): number {
  const percent = Number(value.replace(/%$/, ''));
  if (!/^\d+(\.\d+)?%?$/.test(value) || percent > 100) throw new UsageError(`--max-fail-percent ${value}: expected a percentage from 0 to 100`);
  return percent;
}
