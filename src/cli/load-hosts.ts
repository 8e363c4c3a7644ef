import { BUILTIN_VARS } from '../defaults.ts';
import { parseExtraVars } from '../inventory/extra-vars.ts';
import { applyLimit } from '../inventory/limit.ts';
import { loadInventory } from '../inventory/load.ts';
import { resolveHosts, type ResolvedHost } from '../inventory/resolve.ts';

export interface HostSelection {
  limit?: string;
  extraVars?: string[];
}

/** Loads the inventory, resolves every host's settings and applies --limit. */
export async function loadSelectedHosts(inventoryFile: string, selection: HostSelection): Promise<ResolvedHost[]> {
  const inventory = await loadInventory(inventoryFile);
  const hosts = resolveHosts(inventory, { extraVars: parseExtraVars(selection.extraVars ?? []), builtinVars: BUILTIN_VARS });
  return applyLimit(hosts, selection.limit);
}
