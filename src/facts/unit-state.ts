import { shellQuote } from '../connection/quote.ts';
import type { FactReader, FactRequest } from '../resources/types.ts';

/**
 * The unit file state and active state of every unit of a round trip from two `systemctl` runs (two per
 * unit before), each answered as `is-enabled|is-active` printed it. `list-unit-files` reads the unit
 * files as is-enabled does: the manager's UnitFileState property stays stale after an enable with
 * --no-reload (which fleet uses) until the next daemon-reload. is-active prints a line for each unit.
 */
const UNIT_STATE_READER: FactReader = {
  name: 'unit-state',
  command(units) {
    const list = units.map(shellQuote).join(' ');
    return `systemctl list-unit-files --no-legend --no-pager -- ${list} 2>/dev/null; echo "-- active"; systemctl is-active -- ${list} 2>/dev/null; true`;
  },
  split(output, units) {
    const [files = '', active = ''] = output.split(/^-- active$/m);
    const fileStates = new Map(files.split('\n').map((line) => line.trim().split(/\s+/)).filter((fields) => fields.length >= 2).map(([unit, state]) => [unit!, state!]));
    const activeStates = active.replace(/^\n/, '').split('\n');
    return units.map((unit, index) => `${fileStates.get(unit) ?? ''}|${activeStates[index] ?? ''}\n`);
  },
};

/** One unit's `is-enabled|is-active`, as the reader answers it. */
export function unitStateCommand(unit: string): string {
  const u = shellQuote(unit);
  return `printf '%s|%s\\n' "$(systemctl is-enabled -- ${u} 2>/dev/null)" "$(systemctl is-active -- ${u} 2>/dev/null)"`;
}

/**
 * The request for `enabled-state|active-state` of a unit (full name, `.service` included). An instance
 * of a template (`foo@bar.service`) has no unit file of its own, so list-unit-files never lists it:
 * it gets a command of its own, as it did before the reader.
 */
export function unitStateFact(key: string, unit: string): FactRequest {
  return /@[^.]/.test(unit) ? { key, command: unitStateCommand(unit) } : { key, reader: UNIT_STATE_READER, arg: unit };
}
