import { BUILTIN_VARS } from '../defaults.ts';
import { parseExtraVars } from '../inventory/extra-vars.ts';
import { applyLimit } from '../inventory/limit.ts';
import { loadInventory, type Inventory } from '../inventory/load.ts';
import { resolveHosts, type ResolvedHost } from '../inventory/resolve.ts';
import { checkKnownVars } from '../inventory/vars-schema.ts';

export interface HostSelection {
  limit?: string;
  extraVars?: string[];
}

export interface LoadedHosts {
  inventory: Inventory;
  /** Every host of the inventory, resolved (registration lists them all, whatever the limit). */
  all: ResolvedHost[];
  /** The hosts --limit selects. */
  selected: ResolvedHost[];
  /** The Prometheus server hosts the inventory names, resolved, in its order. */
  prometheusServers: ResolvedHost[];
}

export async function loadHosts(inventoryFile: string, selection: HostSelection): Promise<LoadedHosts> {
  const inventory = await loadInventory(inventoryFile);
  const all = resolveHosts(inventory, { extraVars: parseExtraVars(selection.extraVars ?? []), builtinVars: BUILTIN_VARS });
  all.forEach(checkKnownVars);
  const prometheusServers = (inventory.raw.prometheus?.servers ?? []).map((server) => all.find((host) => host.name === server.host)!);
  return { inventory, all, selected: applyLimit(all, selection.limit), prometheusServers };
}

/** Loads the inventory, resolves every host's settings and applies --limit. */
export async function loadSelectedHosts(inventoryFile: string, selection: HostSelection): Promise<ResolvedHost[]> {
  return (await loadHosts(inventoryFile, selection)).selected;
}
