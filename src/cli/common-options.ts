import { Option, type Command } from 'commander';
import { UsageError } from '../errors.ts';
import { parseShard, type Shard } from '../inventory/shard.ts';

export interface CommonOptions {
  limit?: string;
  shard?: Shard;
  forks: number;
  extraVars: string[];
  json?: boolean;
  /** --retry-file PATH or --no-retry-file (false); commands that talk to hosts only. */
  retryFile?: string | false;
}

// SSH sessions mostly wait on the network and the hosts: one Node process holds hundreds cheaply.
export const DEFAULT_FORKS = 50;

/** --limit, --shard, -e and --json, with the same words everywhere, for every command that selects hosts. */
export function addSelectionOptions(command: Command): Command {
  return command
    .option('-l, --limit <pattern>', 'only these hosts: names, groups or globs, comma-separated; !pattern excludes (e.g. "web*,!web3")')
    .option('--shard <K/N>', 'only shard K of N (K from 0) of the hosts --limit selects, by rendezvous hashing of host names: N controllers with K = 0..N-1 together cover every host once; adding a host moves no other', parseShard)
    .option('-e, --extra-vars <vars>', 'set variables above every inventory level; repeatable, later wins: key=value (dots nest, -e node_exporter.port=9200), @file.yaml (YAML or JSON) or an inline mapping (-e \'{"site": "lab"}\')', collect, [])
    .option('--json', 'print JSON on stdout for scripts instead of the table or recap (progress still goes to stderr)');
}

/** The selection options plus --forks, for every command that talks to hosts. */
export function addHostOptions(command: Command): Command {
  return addSelectionOptions(command)
    .option('--retry-file <path>', 'where to write the names of failed or unreachable hosts (default: next to the inventory, inventory.retry); rerun them with --limit @FILE')
    .option('--no-retry-file', 'write no retry file')
    .option('-v, --verbose', 'show each remote command\'s name and duration per host; -vv also the commands, -vvv also their output (secrets masked)', (_value: string, count: number) => count + 1, 0)
    .option('--log <file>', 'append the whole run to FILE as JSON lines: commands, durations, outcomes (secrets masked)')
    .addOption(
      new Option('-f, --forks <n>', 'how many hosts to work on at once (SSH handshakes: at most 32 at a time; fleet.yaml: forks)').env('FLEET_FORKS').default(DEFAULT_FORKS).argParser((value) => {
        const forks = Number(value);
        if (!Number.isInteger(forks) || forks < 1) throw new UsageError(`--forks ${value}: expected a whole number of at least 1`);
        return forks;
      }),
  );
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
