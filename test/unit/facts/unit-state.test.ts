import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readInOneRoundTrip } from '../../../src/facts/gather.ts';
import { unitStateCommand, unitStateFact } from '../../../src/facts/unit-state.ts';
import { requireTool } from '../../helpers/required-tool.ts';

const UNIT = '[Unit]\nDescription=test\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n';

// The real systemctl, offline on a directory tree (--root): it reads the unit files as on a host.
describe('unit file states of many units from one list-unit-files', () => {
  it('answers each unit as is-enabled did, a template instance included', async (context) => {
    await requireTool(context, 'systemctl', 'apt-get install systemd');
    const root = await mkdtemp(join(tmpdir(), 'fleet-units-'));
    const lib = join(root, 'usr/lib/systemd/system');
    const wants = join(root, 'etc/systemd/system/multi-user.target.wants');
    await mkdir(lib, { recursive: true });
    await mkdir(wants, { recursive: true });
    for (const unit of ['plain.service', 'off.service', 'probe@.service']) await writeFile(join(lib, unit), UNIT);
    await symlink('/usr/lib/systemd/system/plain.service', join(wants, 'plain.service'));
    await symlink('/usr/lib/systemd/system/probe@.service', join(wants, 'probe@eth0.service'));
    await symlink('/dev/null', join(root, 'etc/systemd/system/masked.service'));
    const bin = join(root, 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'systemctl'), `#!/bin/sh\nexec "$(PATH=${process.env.PATH} command -v systemctl)" --root=${root} "$@"\n`);
    await chmod(join(bin, 'systemctl'), 0o755);
    const sh = async (script: string) => (await promisify(execFile)('sh', ['-c', script], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } })).stdout;

    const units = ['plain.service', 'off.service', 'masked.service', 'missing.service', 'probe@.service', 'probe@eth0.service', 'probe@eth1.service'];
    const facts = await readInOneRoundTrip(units.map((unit) => unitStateFact(unit, unit)), sh);
    const enabledStates = (answer: string | undefined) => answer?.split('|')[0];
    for (const unit of units) expect(enabledStates(facts.get(unit)), unit).toBe(enabledStates(await sh(unitStateCommand(unit))));
    expect(enabledStates(facts.get('probe@eth0.service'))).toBe('enabled');
    expect(enabledStates(facts.get('plain.service'))).toBe('enabled');
  });
});

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
