import { parseHostFacts, type HostFacts } from '../../src/facts/host-facts.ts';
import type { Facts } from '../../src/resources/types.ts';

/** Facts as the gather step would return them for a Debian amd64 host, with the given command outputs. */
export function factsFrom(raw: Record<string, string>, host: Partial<HostFacts> = {}): Facts {
  const map = new Map(Object.entries({ 'host:os': 'debian|12', 'host:machine': 'x86_64', 'host:init': 'systemd', ...raw }));
  return { raw: map, host: { ...parseHostFacts(map), ...host } };
}
