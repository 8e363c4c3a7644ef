import type { Command } from 'commander';
import { findOption, positionalsAmong, takesValue } from '../positionals.ts';

/** Where names come from when a word is a host pattern or a playbook (read from disk only when needed). */
export interface NameSources {
  /** Host and group names of the inventory file (empty when it cannot be read). */
  inventoryNames(inventoryFile: string): { hosts: string[]; groups: string[] };
  /** Playbook names: playbooks/ next to the inventory, then fleet's own. */
  playbookNames(inventoryFile: string | undefined): string[];
}

const SHELLS = ['bash', 'zsh', 'fish'];

/**
 * What may follow at `words[index]` (the words after `fleet`), already filtered by what is typed there.
 * Commands and options come from the commander definitions, so the completion never lags behind them.
 * An empty answer lets the shell fall back to file names (the inventory, --metrics-file, @vars.yaml).
 */
export function completeWords(program: Command, words: readonly string[], index: number, sources: NameSources): string[] {
  const current = words[index] ?? '';
  const visible = program.createHelp().visibleCommands(program);
  if (index === 0) return matching(current, [...visible.map((command) => command.name()), '--help', '--version']);
  const command = visible.find((candidate) => candidate.name() === words[0] || candidate.aliases().includes(words[0]!));
  if (!command) return [];

  const previous = words[index - 1]!;
  const previousOption = findOption(command, previous);
  const positionals = positionalsAmong(command, words.slice(1, index));
  const inventoryFile = command.registeredArguments[0]?.name() === 'inventory' ? positionals[0] : undefined;
  if (previousOption && takesValue(previousOption)) {
    if (previousOption.long === '--limit' && inventoryFile) return completeLimit(current, sources.inventoryNames(inventoryFile));
    if (previousOption.argChoices) return matching(current, previousOption.argChoices);
    return [];
  }
  if (current.startsWith('-')) return matching(current, optionFlags(command));

  const argument = command.registeredArguments[Math.min(positionals.length, command.registeredArguments.length - 1)];
  if (!argument || (positionals.length >= command.registeredArguments.length && !argument.variadic)) return [];
  switch (argument.name()) {
    case 'playbooks':
      return matching(current, sources.playbookNames(inventoryFile));
    case 'hosts':
      return inventoryFile ? matching(current, sources.inventoryNames(inventoryFile).hosts) : [];
    case 'shell':
      return matching(current, SHELLS);
    default:
      return [];
  }
}

/** `--limit web1,!w` -> `web1,!web2`, `web1,!web3`: completes the last comma-separated part, keeping the rest. */
function completeLimit(current: string, names: { hosts: string[]; groups: string[] }): string[] {
  const comma = current.lastIndexOf(',');
  const head = current.slice(0, comma + 1);
  const part = current.slice(comma + 1);
  const bang = part.startsWith('!') ? '!' : '';
  if (part.slice(bang.length).startsWith('@')) return [];
  return matching(part.slice(bang.length), [...new Set([...names.hosts, ...names.groups])]).map((name) => `${head}${bang}${name}`);
}

function optionFlags(command: Command): string[] {
  const flags = command.createHelp().visibleOptions(command).flatMap((option) => [option.long, option.short].filter((flag): flag is string => Boolean(flag)));
  return flags;
}

function matching(prefix: string, candidates: readonly string[]): string[] {
  return [...new Set(candidates.filter((candidate) => candidate.startsWith(prefix)))];
}
