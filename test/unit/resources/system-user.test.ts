import { fileLinesAnswer } from '../../../src/facts/file-lines.ts';
import { describe, expect, it } from 'vitest';
import { systemUserResource } from '../../../src/resources/system-user.ts';
import { factsFrom } from '../../helpers/facts.ts';
import { readInOneRoundTrip } from '../../../src/facts/gather.ts';
import { runLocal } from '../../../src/local/run.ts';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const planFor = (passwd: string, force = false, loginDefs = 'UID_MIN\t\t\t 1000\n') =>
  () => systemUserResource({ name: passwd.split(':')[0]!, group: passwd.split(':')[0]!, groups: [], force }).plan(factsFrom({ [`user:${passwd.split(':')[0]}`]: `${passwd}\n${passwd.split(':')[0]}\n${passwd.split(':')[0]}\n`, 'host:uid-min': fileLinesAnswer(loginDefs) }));

describe('user: on an account that already exists', () => {
  it.each([
    ['deploy:x:1000:1000::/home/deploy:/bin/bash', 'uid 1000'],
    ['root:x:0:0:root:/root:/bin/bash', 'uid 0'],
    ['alice:x:1500:1500::/home/alice:/bin/zsh', 'uid 1500'],
  ])('refuses the login account %s unless forced, naming the field', (passwd, uid) => {
    expect(planFor(passwd)).toThrow(`is an existing login account (${uid}); fleet changes only system accounts, as it would set its shell to nologin. Choose another name, or set force: true on the task's user: to change it anyway`);
    expect(planFor(passwd, true)()).toMatchObject({ action: 'update' });
  });

  it('changes a system account (UID below UID_MIN) and nobody as before', () => {
    expect(planFor('node_exporter:x:998:998::/nonexistent:/bin/sh')()).toMatchObject({ action: 'update', reason: 'shell /bin/sh -> /usr/sbin/nologin' });
    expect(planFor('nobody:x:65534:65534::/nonexistent:/usr/sbin/nologin')()).toMatchObject({ action: 'same' });
  });

  it("takes the host's UID_MIN from /etc/login.defs, 1000 when it has none", () => {
    expect(planFor('app:x:600:600::/nonexistent:/bin/sh', false, 'UID_MIN 500\n')).toThrow('is an existing login account (uid 600)');
    expect(planFor('app:x:600:600::/nonexistent:/bin/sh', false, '')()).toMatchObject({ action: 'update' });
    expect(planFor('app:x:1200:1200::/nonexistent:/bin/sh', false, '')).toThrow('is an existing login account (uid 1200)');
  });
});

describe("user: read from this machine's accounts with the real getent and groups", () => {
  it('reads every account of a round trip with one groups, the primary group first, and an absent one as absent', async () => {
    const daemon = systemUserResource({ name: 'daemon', group: 'daemon', groups: ['adm'] });
    const missing = systemUserResource({ name: 'fleet-no-such-user', group: 'fleet-no-such-user', groups: [] });
    let scripts = 0;
    const raw = await readInOneRoundTrip([...daemon.facts(), ...missing.facts()], async (script) => (scripts++, (await runLocal('sh', ['-c', script])).stdout));
    expect(scripts).toBe(1);
    const [passwd, primary, all] = raw.get('user:daemon')!.trim().split('\n');
    expect(passwd).toMatch(/^daemon:x:1:/);
    expect(primary).toBe('daemon');
    expect(all!.split(' ')[0]).toBe('daemon');
    expect(raw.get('user:fleet-no-such-user')).toBe('absent\n\n\n');
    // daemon is in no supplementary group on a stock Debian: the plan asks for adm.
    const facts = { raw, host: undefined } as unknown as Parameters<typeof daemon.plan>[0];
    expect(await daemon.plan(facts)).toMatchObject({ action: 'update', reason: expect.stringContaining('not in adm') });
  });
});

describe('user: on a host whose groups is not coreutils', () => {
  // BusyBox groups (Alpine, embedded userlands) takes one user and prints its groups with no "NAME : ":
  // this stand-in does the same, from the real id. Without a fallback every account read as in no group,
  // and a converged account was planned as an update on every run.
  const withGroups = async (groupsScript: string, run: (dir: string) => Promise<void>) => {
    const dir = await mkdtemp(join(tmpdir(), 'fleet-groups-'));
    try {
      await writeFile(join(dir, 'groups'), groupsScript, { mode: 0o755 });
      await run(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  const read = (dir: string, resources: ReturnType<typeof systemUserResource>[]) =>
    readInOneRoundTrip(resources.flatMap((resource) => resource.facts()), async (script) => (await runLocal('sh', ['-c', `PATH=${dir}:$PATH\n${script}`])).stdout);

  it.each([
    ['BusyBox-like (first user only, no NAME prefix)', '#!/bin/sh\n[ "$1" = -- ] && shift\nexec id -Gn -- "$1"\n'],
    ['missing (command not found)', '#!/bin/sh\nexit 127\n'],
  ])('reads the groups of every account with id -Gn when groups is %s', async (_, script) => {
    await withGroups(script, async (dir) => {
      const root = systemUserResource({ name: 'root', group: 'root', groups: [], force: true });
      const daemon = systemUserResource({ name: 'daemon', group: 'daemon', groups: [] });
      const missing = systemUserResource({ name: 'fleet-no-such-user', group: 'fleet-no-such-user', groups: [] });
      const raw = await read(dir, [root, daemon, missing]);
      expect(raw.get('user:root')!.split('\n').slice(1, 2)).toEqual(['root']);
      expect(raw.get('user:daemon')!.split('\n').slice(1, 2)).toEqual(['daemon']);
      expect(raw.get('user:fleet-no-such-user')).toBe('absent\n\n\n');
    });
  });
});
