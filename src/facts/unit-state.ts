import { shellQuote } from '../connection/quote.ts';
import type { FactReader, FactRequest } from '../resources/types.ts';

/**
 * The unit file state and active state of every unit of a round trip from one `systemctl show`
 * (two `systemctl` starts per unit before), each answered as `is-enabled|is-active` printed it. A
 * unit is found by any of its names, so an alias asked for gets its unit's state.
 */
const UNIT_STATE_READER: FactReader = {
  name: 'unit-state',
  command: (units) => `systemctl show -p Names -p UnitFileState -p ActiveState -- ${units.map(shellQuote).join(' ')} 2>/dev/null || true`,
  split(output, units) {
    const byName = new Map<string, Map<string, string>>();
    for (const block of output.split(/\n\s*\n/)) {
      const properties = new Map(block.split('\n').filter((line) => line.includes('=')).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const));
      for (const name of (properties.get('Names') ?? '').split(' ')) if (name) byName.set(name, properties);
    }
    return units.map((unit) => {
      const properties = byName.get(unit);
      return `${properties?.get('UnitFileState') ?? ''}|${properties?.get('ActiveState') ?? ''}\n`;
    });
  },
};

/** The request for `enabled-state|active-state` of a unit (full name, `.service` included). */
export function unitStateFact(key: string, unit: string): FactRequest {
  return { key, reader: UNIT_STATE_READER, arg: unit };
}
