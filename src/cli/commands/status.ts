import type { Command } from 'commander';
import { addHostOptions, type CommonOptions } from '../common-options.ts';

export function registerStatus(program: Command): void {
  addHostOptions(
    program
      .command('status')
      .summary('one read-only table of the fleet: reachable, versions running, services, endpoints, targets, drift, last apply')
      .description(
        'Reads every host once, as fleet check does (the same single round trip of facts, plus the endpoint checks and one look at ' +
          'each Prometheus server), and writes nothing. Per host: reachable, the versions running (from the exporters\' own /metrics), ' +
          'services active, endpoints answering, target health in each Prometheus, how many resources drifted, and the time of the ' +
          'last apply (from the host\'s record, /var/lib/fleet/state.json).\n\n' +
          'Exit codes: 0 every host reachable and checked; 2 a host could not be checked; 4 a host was unreachable; 1 bad inventory or arguments.\n\n' +
          'Examples:\n  fleet status inventory.yaml\n  fleet status inventory.yaml --json --limit web',
      )
      .argument('<inventory>', 'inventory YAML file')
      .argument('[playbooks...]', 'playbooks the hosts run (default: site)'),
  ).action(async (inventoryFile: string, playbookNames: string[], options: CommonOptions) => {
    // Loaded when the command runs, not at start-up (see main.ts).
    const { runStatus } = await import('../status.ts');
    await runStatus(inventoryFile, playbookNames, options);
  });
}
