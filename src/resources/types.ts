import type { Connection } from '../connection/ssh.ts';
import type { HostFacts } from '../facts/host-facts.ts';

/** The closed vocabulary of a plan, as in Terraform and Pulumi; `skip` when a `when:` condition is false. */
export type Action = 'create' | 'update' | 'delete' | 'same' | 'skip';

export interface Change {
  /** `kind path`, e.g. `file /etc/alloy/config.alloy`. */
  resource: string;
  action: Action;
  /** Why nothing changes, or what changes: "content differs", "mode 0600 -> 0644". */
  reason: string;
  /** Text before and after, for --diff (secrets already masked). */
  diff?: { before: string; after: string };
}

/**
 * Facts are gathered for all resources of a host in one command; each resource reads its own part.
 * A request is a command of its own, or an argument for a reader that answers every request of its
 * kind with one command (one `stat` for all paths, one `systemctl list-unit-files` for all units): what a host
 * spends on a round trip is mostly starting programs.
 */
export type FactRequest = { key: string } & FactSource;

/** `sharesShell`: the command is fleet's own read, safe in the script's shell (one-round-trip.ts); every reader is. */
export type FactSource = { command: string; sharesShell?: true } | { reader: FactReader; arg: string };

export interface FactReader {
  /** Requests with the same reader name share one command. */
  name: string;
  /** One read-only command answering all these arguments (distinct, in request order), safe in the script's shell (one-round-trip.ts). */
  command(args: readonly string[]): string;
  /** Each argument's answer, in the format its resource parses. */
  split(output: string, args: readonly string[]): string[];
}

export interface Facts {
  /** Output of each fact command, by key. */
  raw: ReadonlyMap<string, string>;
  host: HostFacts;
}

/** A service to restart or reload, once, at the end of the host's run, because this resource changed. */
export interface Notify {
  service: string;
  action: 'restart' | 'reload';
}

export interface Resource {
  id: string;
  tags: string[];
  notify?: Notify[];
  /** The shell commands whose output `plan` needs; they only read. */
  facts(): FactRequest[];
  /** Compares desired state with the facts; never touches the host (it may read the controller's cache). */
  plan(facts: Facts): Change | Promise<Change>;
  /** Makes the change planned; only called when the plan said create, update or delete. */
  apply(connection: Connection, change: Change, facts: Facts): Promise<void>;
  /**
   * A command apply runs while this resource is unchanged, to keep fleet's own bookkeeping on the host
   * current (a stale hash record); never a change to what the playbook manages, never run by check.
   */
  upkeep?(facts: Facts): string | undefined;
  /** Fills in `diff.before` when the plan needs the old text (one extra read, only with --diff). */
  readBefore?(connection: Connection, change: Change): Promise<void>;
}
