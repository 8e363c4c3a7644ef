import { Option, type Command } from 'commander';
import { UsageError } from '../errors.ts';
import { parseShard, type Shard } from '../inventory/shard.ts';

export interface CommonOptions {
  limit?: string;
  shard?: Shard;
  forks: number;
  extraVars: string[];
  json?: boolean;
}

// SSH sessions mostly wait on the network and the hosts: one Node process holds hundreds cheaply.
export const DEFAULT_FORKS = 50;

/** --limit, --shard, -e and --json, with the same words everywhere, for every command that selects hosts. */
export function addSelectionOptions(command: Command): Command {
  return command
    .option('-l, --limit <pattern>', 'only these hosts: names, groups or globs, comma-separated; !pattern excludes (e.g. "web*,!web3")')
    .option('--shard <K/N>', 'only shard K of N (K from 0) of the hosts --limit selects, by rendezvous hashing of host names: N controllers with K = 0..N-1 together cover every host once; adding a host moves no other', parseShard)
    .option('-e, --extra-vars <key=value>', 'set a variable above every inventory level; repeatable; dots nest (-e node_exporter.port=9200)', collect, [])
    .option('--json', 'print JSON on stdout for scripts instead of the table or recap (progress still goes to stderr)');
}

/** The selection options plus --forks, for every command that talks to hosts. */
export function addHostOptions(command: Command): Command {
  return addSelectionOptions(command).addOption(
      new Option('-f, --forks <n>', 'how many hosts to work on at once (SSH handshakes: at most 32 at a time)').default(DEFAULT_FORKS).argParser((value) => {
        const forks = Number(value);
        if (!Number.isInteger(forks) || forks < 1) throw new UsageError(`--forks ${value}: expected a whole number of at least 1`);
        return forks;
      }),
  );
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
