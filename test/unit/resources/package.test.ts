import { describe, expect, it } from 'vitest';
import type { Connection, ExecResult } from '../../../src/connection/ssh.ts';
import { parsePackageQuery } from '../../../src/facts/packages.ts';
import { PACKAGE_MANAGERS, packageResource, type PackageSpec } from '../../../src/resources/package.ts';
import { factsFrom } from '../../helpers/facts.ts';

// Captured on real hosts: Debian 12 (dpkg-query -W -f='${Package} ${Status}\n' tree curl hello, hello
// removed with its config left), Rocky 9 (rpm -q --qf '%{NAME} installed\n' tree curl) and Alpine 3.20 (apk info -e tree curl).
const DEBIAN = '@dpkg\ncurl install ok installed\nhello deinstall ok config-files\n@apt-lists\n';
const ROCKY = '@rpm\npackage tree is not installed\ncurl installed\n';
const ALPINE = '@apk\ncurl\n';

const facts = (osRelease: string, query: string, names = ['tree', 'curl']) => factsFrom({ 'host:os': osRelease, [`packages:${names.join(' ')}`]: query });
const plan = (spec: Partial<PackageSpec>, osRelease: string, query: string) => packageResource({ names: ['tree', 'curl'], state: 'present', ...spec }).plan(facts(osRelease, query, spec.names));

describe('package query', () => {
  it('reads what dpkg, rpm and apk say is installed, and whether apt has lists', () => {
    expect(parsePackageQuery(DEBIAN)).toEqual({ installed: new Map([['dpkg', new Set(['curl'])]]), aptLists: true });
    expect(parsePackageQuery(ROCKY).installed.get('rpm')).toEqual(new Set(['curl']));
    expect(parsePackageQuery(ALPINE).installed.get('apk')).toEqual(new Set(['curl']));
    expect(parsePackageQuery('@dpkg\n').aptLists).toBe(false);
  });
});

describe('package resource plan: the manager comes from the host facts', () => {
  it.each([
    ['debian|12|', 'apt', DEBIAN],
    ['ubuntu|24.04|debian', 'apt', DEBIAN],
    ['rocky|9.4|rhel centos fedora', 'dnf', ROCKY],
    ['opensuse-leap|15.6|suse opensuse', 'zypper', ROCKY],
    ['alpine|3.20.1|', 'apk', ALPINE],
  ])('%s: installs only what is missing, with %s', (osRelease, manager, query) => {
    expect(plan({}, osRelease, query)).toEqual({ resource: 'package tree, curl', action: 'create', reason: `not installed: tree (${manager})` });
    expect(plan({ names: ['curl'] }, osRelease, query)).toMatchObject({ action: 'same', reason: `installed (${manager})` });
    expect(plan({ state: 'absent' }, osRelease, query)).toMatchObject({ action: 'delete', reason: `installed, to remove: curl (${manager})` });
    expect(plan({ names: ['tree'], state: 'absent' }, osRelease, query)).toMatchObject({ action: 'same', reason: `not installed (${manager})` });
  });

  it('refuses a host with no known manager, a name the manager would not take, and a missing query tool', () => {
    expect(() => plan({}, 'gentoo|2.15|', '')).toThrow('package tree, curl: no package manager fleet knows for os "gentoo" (os_family unknown); fleet uses apt, dnf, zypper or apk');
    expect(() => plan({ names: ['Tree'] }, 'debian|12|', DEBIAN)).toThrow('"Tree" is not a valid apt package name');
    expect(() => plan({}, 'debian|12|', ROCKY)).toThrow('debian uses apt, but the host has no dpkg-query to ask what is installed');
  });
});

describe('package manager command lines (only apt runs on the lab hosts)', () => {
  it('installs and removes non-interactively, each name one word', () => {
    expect(PACKAGE_MANAGERS.apt.install(['tree', 'libfoo+2'])).toBe(
      "DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=120 --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold tree libfoo+2",
    );
    expect(PACKAGE_MANAGERS.apt.remove(['tree'])).toBe('DEBIAN_FRONTEND=noninteractive apt-get remove -y -q -o DPkg::Lock::Timeout=120 tree');
    expect(PACKAGE_MANAGERS.dnf.install(['tree'])).toBe('if command -v dnf >/dev/null 2>&1; then dnf install -y -q tree; else yum install -y -q tree; fi');
    expect(PACKAGE_MANAGERS.dnf.remove(['tree'])).toBe('if command -v dnf >/dev/null 2>&1; then dnf remove -y -q tree; else yum remove -y -q tree; fi');
    expect(PACKAGE_MANAGERS.zypper.install(['tree'])).toBe('zypper --non-interactive install --no-recommends tree');
    expect(PACKAGE_MANAGERS.zypper.remove(['tree'])).toBe('zypper --non-interactive remove tree');
    expect(PACKAGE_MANAGERS.apk.install(['tree'])).toBe('apk add -q tree');
    expect(PACKAGE_MANAGERS.apk.remove(['tree'])).toBe('apk del -q tree');
  });
});

describe('package apply: apt-get update only when needed, once per host run', () => {
  /** A host whose installs answer `installs` in order (a stderr to fail with, or ok), recording every command. */
  function fakeHost(installs: string[]) {
    const commands: string[] = [];
    const exec = async (command: string): Promise<ExecResult> => {
      commands.push(command);
      const answer = command.includes('apt-get install') ? installs.shift() : 'ok';
      if (answer && answer !== 'ok') return { code: 100, stdout: '', stderr: answer };
      return { code: 0, stdout: '', stderr: '' };
    };
    const connection = { exec, execChecked: async (_step: string, command: string) => (await exec(command)).stdout } as unknown as Connection;
    return { connection, commands: () => commands.map((command) => command.replace(/ -o .*? tree$| -q$/, '')) };
  }
  const apply = async (connection: Connection, query: string, names = ['tree']) => {
    const resource = packageResource({ names, state: 'present' });
    const hostFacts = facts('debian|12|', query, names);
    await resource.apply(connection, resource.plan(hostFacts) as never, hostFacts);
  };

  it('installs at once when the lists are there', async () => {
    const host = fakeHost([]);
    await apply(host.connection, DEBIAN);
    expect(host.commands()).toEqual(['DEBIAN_FRONTEND=noninteractive apt-get install -y -q']);
  });

  it('updates first when apt has no lists (a fresh image)', async () => {
    const host = fakeHost([]);
    await apply(host.connection, '@dpkg\n');
    expect(host.commands()).toEqual(['apt-get update', 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q']);
  });

  it('updates and retries once when stale lists lack the package; the second package task does not update again', async () => {
    const host = fakeHost(['E: Unable to locate package tree', 'ok', 'E: Unable to locate package tree']);
    await apply(host.connection, DEBIAN);
    await expect(apply(host.connection, DEBIAN)).rejects.toThrow('package tree: exit code 100: E: Unable to locate package tree');
    expect(host.commands()).toEqual(['DEBIAN_FRONTEND=noninteractive apt-get install -y -q', 'apt-get update', 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q', 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q']);
  });

  it('does not update for any other failure, and names the exit code and the end of stderr', async () => {
    const host = fakeHost(['E: Sub-process /usr/bin/dpkg returned an error code (1)']);
    await expect(apply(host.connection, DEBIAN)).rejects.toThrow('package tree: exit code 100: E: Sub-process /usr/bin/dpkg returned an error code (1)');
    expect(host.commands()).toHaveLength(1);
  });
});
