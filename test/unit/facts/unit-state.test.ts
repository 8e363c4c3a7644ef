import { describe, expect, it } from 'vitest';
import { readInOneRoundTrip } from '../../../src/facts/gather.ts';
import { unitStateFact } from '../../../src/facts/unit-state.ts';

// Captured on a Debian 12 lab host (systemd 252): alloy disabled with --no-reload, nosuch not installed, sshd an alias.
const CAPTURED = `alloy.service         disabled enabled
node_exporter.service enabled  enabled
sshd.service          alias    -
-- active
active
inactive
active
active
`;

describe('unit states from one list-unit-files and one is-active', () => {
  it('answers each unit as is-enabled|is-active would, an unknown unit with an empty file state', async () => {
    const units = ['alloy.service', 'nosuch.service', 'node_exporter.service', 'sshd.service'];
    let script = '';
    const facts = await readInOneRoundTrip(units.map((unit) => unitStateFact(unit, unit)), async (text) => {
      script = text;
      const part = /printf '\\n(__fleet_part_\w+_)%d\\n' 0;/.exec(text)!;
      return `\n${part[1]}0\n${CAPTURED}`;
    });
    expect(script).toContain('systemctl list-unit-files --no-legend --no-pager -- alloy.service nosuch.service node_exporter.service sshd.service');
    expect(script).toContain('systemctl is-active -- alloy.service nosuch.service node_exporter.service sshd.service');
    expect(units.map((unit) => facts.get(unit))).toEqual(['disabled|active\n', '|inactive\n', 'enabled|active\n', 'alias|active\n']);
  });
});
