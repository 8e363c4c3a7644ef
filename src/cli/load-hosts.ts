import { BUILTIN_VARS } from '../defaults.ts';
import { parseExtraVars } from '../inventory/extra-vars.ts';
import { applyLimit } from '../inventory/limit.ts';
import { loadInventory, type Inventory } from '../inventory/load.ts';
import { applyShard, type Shard } from '../inventory/shard.ts';
import { resolveHosts, type ResolvedHost } from '../inventory/resolve.ts';
import { checkKnownVars } from '../inventory/vars-schema.ts';

export interface HostSelection {
  limit?: string;
  shard?: Shard;
  extraVars?: string[];
}

export interface LoadedHosts {
  inventory: Inventory;
  /** Every host of the inventory, resolved (registration lists them all, whatever the limit). */
  all: ResolvedHost[];
  /** The hosts --limit selects, narrowed to this run's --shard. */
  selected: ResolvedHost[];
  /** The Prometheus server hosts the inventory names, resolved, in its order. */
  prometheusServers: ResolvedHost[];
  /** This run's part of the hosts (--shard): registration writes its own target files. */
  shard?: Shard;
}

export async function loadHosts(inventoryFile: string, selection: HostSelection): Promise<LoadedHosts> {
  const inventory = await loadInventory(inventoryFile);
  const all = resolveHosts(inventory, { extraVars: parseExtraVars(selection.extraVars ?? []), builtinVars: BUILTIN_VARS });
  all.forEach(checkKnownVars);
  const prometheusServers = (inventory.raw.prometheus?.servers ?? []).map((server) => all.find((host) => host.name === server.host)!);
  return { inventory, all, selected: applyShard(applyLimit(all, selection.limit), selection.shard), prometheusServers, shard: selection.shard };
}

/** Loads the inventory, resolves every host's settings and applies --limit and --shard. */
export async function loadSelectedHosts(inventoryFile: string, selection: HostSelection): Promise<ResolvedHost[]> {
  return (await loadHosts(inventoryFile, selection)).selected;
}
