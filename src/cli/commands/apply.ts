import type { Command } from 'commander';
import { applyHostPlan, isChange, planHost, runChecks, selectByTags, type HostProgram } from '../../engine/host-plan.ts';
import { HostError } from '../../connection/errors.ts';
import { runOnHosts } from '../../engine/run-hosts.ts';
import { UsageError } from '../../errors.ts';
import { buildHostProgram } from '../../playbook/build-program.ts';
import { loadPlaybooks } from '../../playbook/load.ts';
import type { Change } from '../../resources/types.ts';
import { becomeOpenOptions, collectBecomePasswords } from '../become-passwords.ts';
import { addHostOptions, type CommonOptions } from '../common-options.ts';
import { color } from '../colors.ts';
import { exitCodeFor } from '../exit-codes.ts';
import { loadSelectedHosts } from '../load-hosts.ts';
import { renderChanges } from '../render-changes.ts';
import { createProgress, formatSeconds, paintStatus } from '../reporter.ts';
import { formatTable } from '../table.ts';
import { dirname } from 'node:path';

interface ApplyOptions extends CommonOptions {
  check?: boolean;
  diff?: boolean;
  tags?: string;
}

export function registerApply(program: Command): void {
  addHostOptions(
    program
      .command('apply')
      .summary('bring every host to the state the playbooks describe')
      .description(
        'Reads each host in one round trip, plans what differs (create, update, same), and changes only that. ' +
          'A second run on a converged host changes nothing. Runs playbooks/site.yaml unless playbooks are named ' +
          '(a path, or a name looked up in playbooks/ next to the inventory, then in fleet\'s own).\n\n' +
          'Examples:\n  fleet apply inventory.yaml --check --diff      show what would change, change nothing\n' +
          '  fleet apply inventory.yaml node-exporter --limit web --forks 20\n  fleet apply inventory.yaml --tags config --json',
      )
      .argument('<inventory>', 'inventory YAML file')
      .argument('[playbooks...]', 'playbooks to run, in order (default: site)')
      .option('-C, --check', 'plan only: report what would change and write nothing')
      .option('-D, --diff', 'show a unified diff for every changed file (sensitive files are masked)')
      .option('-t, --tags <tags>', 'only tasks with one of these tags, comma-separated'),
  ).action(async (inventoryFile: string, playbookNames: string[], options: ApplyOptions) => {
    const hosts = await loadSelectedHosts(inventoryFile, { limit: options.limit, extraVars: options.extraVars });
    const inventoryDir = dirname(inventoryFile);
    const playbooks = await loadPlaybooks(playbookNames.length ? playbookNames : ['site'], inventoryDir);
    const tags = options.tags ? options.tags.split(',').map((tag) => tag.trim()).filter(Boolean) : [];
    // Everything is rendered before the first connection: a bad variable stops the run untouched.
    const programs = new Map<string, HostProgram>();
    for (const host of hosts) {
      try {
        programs.set(host.name, selectByTags(await buildHostProgram(playbooks, host, inventoryDir), tags));
      } catch (error) {
        if (error instanceof UsageError) throw new UsageError(`host ${host.name}: ${error.message}`);
        throw error;
      }
    }
    const passwords = await collectBecomePasswords(hosts);
    const progress = createProgress(hosts.length, options.check ? 'checking' : 'applying');
    const outcomes = await runOnHosts<{ changes: Change[] }>(
      hosts,
      async ({ host, connection, report }) => {
        const program = programs.get(host.name)!;
        const changes: Change[] = [];
        try {
          report('facts');
          const plan = await planHost(connection, program, { diff: options.diff === true });
          changes.push(...plan.changes);
          if (!options.check) changes.push(...(await applyHostPlan(connection, program, plan, report)));
          changes.push(...(await runChecks(connection, program, plan.facts, { once: options.check === true }, report)));
        } catch (error) {
          // The report still shows what was planned and done before the failing step.
          if (error instanceof HostError) error.result = { changes };
          throw error;
        }
        return { status: changes.some(isChange) ? 'changed' : 'ok', result: { changes } };
      },
      {
        forks: options.forks,
        emit: progress.sink,
        openOptions: becomeOpenOptions(passwords),
      },
    );
    progress.stop();
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ command: 'apply', check: options.check === true, hosts: outcomes }, null, 2)}\n`);
    } else {
      const details = outcomes.map((outcome) => renderChanges(outcome.host, outcome.result?.changes ?? [], options.diff === true)).filter(Boolean);
      if (details.length) process.stdout.write(`${details.join('\n')}\n`);
      const count = (changes: Change[] | undefined, changed: boolean) => String((changes ?? []).filter((change) => isChange(change) === changed).length);
      const rows = outcomes.map((outcome) => [
        outcome.host,
        paintStatus(outcome.status),
        `ok=${count(outcome.result?.changes, false)}`,
        `${options.check ? 'would change' : 'changed'}=${count(outcome.result?.changes, true)}`,
        formatSeconds(outcome.durationMs),
        outcome.error ? color.red(`${outcome.error.step}: ${outcome.error.message.split('\n')[0]}`) : '',
      ]);
      process.stdout.write(`\n${color.bold(options.check ? 'CHECK RECAP (nothing was changed)' : 'APPLY RECAP')}\n${formatTable(rows)}\n`);
    }
    process.exitCode = exitCodeFor(outcomes);
  });
}
