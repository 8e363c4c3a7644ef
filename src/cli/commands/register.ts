import type { Command } from 'commander';
import { UsageError } from '../../errors.ts';
import { collectBecomePasswords } from '../become-passwords.ts';
import { addHostOptions, type CommonOptions } from '../common-options.ts';
import { exitCodeFor } from '../exit-codes.ts';
import type { LoadedHosts } from '../load-hosts.ts';
import { diffReplacer } from '../output-diffs.ts';

export interface RemoveOptions extends CommonOptions {
  uninstall?: boolean;
  component?: string[];
  check?: boolean;
  diff?: boolean;
}

interface RegisterOptions extends CommonOptions {
  check?: boolean;
  diff?: boolean;
  pruneShardFiles?: boolean;
}

async function loadWithPrometheus(inventoryFile: string, options: CommonOptions): Promise<LoadedHosts> {
  // Loaded when the command runs, not at start-up (see main.ts).
  const { loadHosts } = await import('../load-hosts.ts');
  const { checkRegistrationInputs } = await import('../registration.ts');
  const loaded = await loadHosts(inventoryFile, { limit: options.limit, shard: options.shard, extraVars: options.extraVars });
  if (!loaded.inventory.raw.prometheus) throw new UsageError(`${inventoryFile} names no Prometheus servers; add prometheus: { servers: [{ host: NAME }] }`);
  checkRegistrationInputs(loaded);
  return loaded;
}

export function registerRegister(program: Command): void {
  addHostOptions(
    program
      .command('register')
      .summary('register the inventory\'s hosts with its Prometheus servers (the last step of apply)')
      .description(
        'Writes the file_sd files of the fleet-node and fleet-alloy jobs on every server in prometheus.servers, ensures the jobs ' +
          'in prometheus.yml (validated by promtool; reloaded only when changed), and waits until Prometheus reports the targets ' +
          'of the selected hosts up. The files always list every host of the inventory: --limit only narrows which targets are awaited. ' +
          'With --shard K/N the run writes fleet-node.shard-K-of-N.json and fleet-alloy.shard-K-of-N.json listing its shard only; prometheus.yml reads fleet-node*.json.\n\n' +
          'Example:\n  fleet register inventory.yaml --check     show what would change and the targets\' health',
      )
      .argument('<inventory>', 'inventory YAML file')
      .option('-C, --check', 'plan only and report the targets as Prometheus sees them')
      .option('-D, --diff', 'show the diff of the files that would change')
      .option('--prune-shard-files', 'without --shard: also delete the target files sharded runs wrote (fleet-node.shard-K-of-N.json)'),
  ).action(async (inventoryFile: string, options: RegisterOptions) => {
    const loaded = await loadWithPrometheus(inventoryFile, options);
    const { renderRegistration, runRegistration } = await import('../registration.ts');
    const passwords = await collectBecomePasswords(loaded.prometheusServers);
    const outcomes = await runRegistration(loaded, { pruneShardFiles: options.pruneShardFiles === true, awaited: loaded.selected, changed: [], check: options.check === true, diff: options.diff === true, forks: options.forks, passwords });
    const { describeRetry, writeRetryFile } = await import('../retry-file.ts');
    const retry = await writeRetryFile(inventoryFile, options, outcomes, loaded.all.map((host) => host.name));
    process.stdout.write(options.json ? `${JSON.stringify({ command: 'register', registration: outcomes, retryFile: retry?.path ?? null }, diffReplacer(options.diff === true), 2)}\n` : `${renderRegistration(outcomes, { diff: options.diff === true, check: options.check === true }).trimStart()}\n${describeRetry(retry, 'register')}`);
    process.exitCode = exitCodeFor(outcomes);
  });

  addHostOptions(
    program
      .command('remove')
      .summary('deregister hosts from Prometheus; with --uninstall also remove what fleet installed on them')
      .description(
        'Rewrites the file_sd files without the named hosts; Prometheus drops their targets without a reload. Delete the hosts ' +
          'from the inventory too, or the next apply registers them again.\n\n' +
          'With --uninstall (or --component), also stops and disables the services and removes the units, binaries, configs, ' +
          'folders, users and firewall rules that fleet created on each host, as listed in the host\'s record ' +
          '(/var/lib/fleet/state.json, written by apply). What fleet found already there (a Node Exporter installed before fleet) stays. ' +
          '--component removes one component and keeps the host registered: Prometheus drops only that component\'s target ' +
          '(fleet-node or fleet-alloy) and goes on scraping the other.\n\n' +
          'Examples:\n  fleet remove inventory.yaml web3 web4\n  fleet remove inventory.yaml web3 --uninstall --check   show what would be removed\n' +
          '  fleet remove inventory.yaml web3 --component alloy',
      )
      .argument('<inventory>', 'inventory YAML file')
      .argument('<hosts...>', 'hosts to deregister')
      .option('--uninstall', 'also remove everything fleet created on the hosts')
      .option('--component <name...>', 'remove only this component (node-exporter, alloy) and its target; the host stays registered')
      .option('-C, --check', 'plan only: show what would be removed and deregistered, change nothing')
      .option('-D, --diff', 'show the diff of the Prometheus files that would change'),
  ).action(async (inventoryFile: string, names: string[], options: RemoveOptions) => {
    const { runRemove } = await import('../remove.ts');
    await runRemove(inventoryFile, names, options);
  });
}
