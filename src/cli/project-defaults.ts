import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { findOption, positionalsAmong } from './positionals.ts';

/**
 * fleet.yaml's settings sit under flags and the environment: flags > environment (FLEET_FORKS,
 * FLEET_CACHE_DIR, NO_COLOR/FORCE_COLOR) > fleet.yaml > built-in defaults.
 */

/**
 * Before parsing: a command that takes an inventory and was given none (or whose first argument is not a
 * file, as in `fleet apply node-exporter`) gets the inventory fleet.yaml names, inserted as its first argument.
 */
export async function withConfiguredInventory(program: Command, argv: readonly string[]): Promise<string[]> {
  const [node = '', script = '', name, ...rest] = argv;
  const command = program.commands.find((candidate) => candidate.name() === name);
  if (!command || command.registeredArguments[0]?.name() !== 'inventory' || rest.some((word) => word === '--help' || word === '-h')) return [...argv];
  const first = positionalsAmong(command, rest)[0];
  // A command whose only argument is the inventory keeps what it was given (a mistyped path is reported as such).
  if (first !== undefined && (existsSync(first) || command.registeredArguments.length === 1)) return [...argv];
  // Cheap check first: most runs name their inventory and have no config to read.
  if (!process.env.FLEET_CONFIG && !existsSync(join(process.cwd(), 'fleet.yaml'))) return [...argv];
  const { findProjectConfig, loadProjectConfig } = await import('../config/project-config.ts');
  const file = findProjectConfig(undefined);
  const inventory = file ? (await loadProjectConfig(file)).inventory : undefined;
  return inventory ? [node, script, name!, inventory, ...rest] : [...argv];
}

/** Before a command's action: fills the options the user left at their defaults from fleet.yaml. */
export async function applyProjectDefaults(command: Command): Promise<void> {
  const inventory = command.registeredArguments[0]?.name() === 'inventory' ? (command.processedArgs[0] as string | undefined) : undefined;
  const { findProjectConfig, loadProjectConfig } = await import('../config/project-config.ts');
  const file = findProjectConfig(inventory);
  if (!file) return;
  const config = await loadProjectConfig(file);
  const unset = (flag: string, key: string) => findOption(command, flag) !== undefined && ['default', undefined].includes(command.getOptionValueSource(key));

  if (config.forks !== undefined && unset('--forks', 'forks')) command.setOptionValueWithSource('forks', config.forks, 'config');
  if (unset('--retry-file', 'retryFile') && command.getOptionValue('retryFile') === undefined) {
    if (config.retryFiles === false) command.setOptionValueWithSource('retryFile', false, 'config');
    else if (config.retryFilesDir && inventory) {
      const { defaultRetryPath } = await import('./retry-file.ts');
      command.setOptionValueWithSource('retryFile', defaultRetryPath(inventory, config.retryFilesDir), 'config');
    }
  }
  if (config.logFile !== undefined && unset('--log', 'log')) command.setOptionValueWithSource('log', config.logFile, 'config');
  // The artifact cache reads FLEET_CACHE_DIR when it runs; the environment's own value wins.
  if (config.artifactCache !== undefined && !process.env.FLEET_CACHE_DIR) process.env.FLEET_CACHE_DIR = config.artifactCache;
  if (config.color !== undefined) {
    const { setColorMode } = await import('./colors.ts');
    setColorMode(config.color);
  }
}
