import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDir } from '../../src/lab/layout.ts';
import { inCI } from '../helpers/required-tool.ts';
import { runFleet } from '../helpers/run-fleet.ts';
import { labUnavailable, onLabHost, useLabHosts, writeLabInventory } from './lab-hosts.ts';
import { startMirror } from './mirror.ts';

interface Report {
  hosts: {
    host: string;
    status: string;
    error?: { message: string; step: string };
    result?: { changes: { resource: string; action: string; reason: string }[] };
    connection?: { commands: number };
  }[];
}

/** A value that would run something if any layer let the shell read it, with a newline and a leading dash. */
const HOSTILE = `it's "q" $(touch /root/pwned) \`touch /root/pwned\`; touch /root/pwned\n-rf *`;

const COMMANDS = `tasks:
  - name: initialise the app
    command:
      shell: "echo ran >> /root/creates-marker; echo output of the first run; touch /root/initialised"
      creates: /root/initialised
  - name: configure the app
    command:
      argv: [sh, -c, 'echo ran >> /root/unless-marker; echo configured > /root/app.conf']
      unless: grep -q configured /root/app.conf
`;

describe.skipIf(labUnavailable)('escape hatches: command and package tasks on real hosts', () => {
  const hosts = useLabHosts([
    { name: 'hatch-a', index: 150 },
    { name: 'hatch-b', index: 151 },
  ]);
  const onHost = (index: number, command: string) => onLabHost(hosts[index]!, command);

  async function setUp(playbook: string, options: { user?: string; only?: number } = {}) {
    const { dir, file } = await writeLabInventory(options.only === undefined ? hosts : [hosts[options.only]!]);
    if (options.user) await writeFile(file, (await readFile(file, 'utf8')).replace('user: root', `user: ${options.user}`));
    await mkdir(join(dir, 'playbooks'));
    await writeFile(join(dir, 'playbooks', 'hatch.yaml'), playbook);
    return { dir, file };
  }
  const apply = async (file: string, ...args: string[]) => {
    const run = await runFleet(['apply', file, 'hatch', '--json', '--no-register', ...args]);
    return { code: run.code, stderr: run.stderr, report: JSON.parse(run.stdout) as Report };
  };
  const host = (report: Report, name: string) => report.hosts.find((entry) => entry.host === name)!;
  const changed = (report: Report, name = 'hatch-a') => (host(report, name).result?.changes ?? []).filter((change) => !['same', 'skip'].includes(change.action)).map((change) => `${change.action} ${change.resource}: ${change.reason}`);

  it('creates: and unless: run a command once; the second apply runs nothing in one command; check runs only the guards', async () => {
    const { dir, file } = await setUp(COMMANDS, { only: 0 });
    const log = join(dir, 'run.log');
    const first = await apply(file, '--log', log);
    expect(first.code, first.stderr).toBe(0);
    expect(changed(first.report)).toEqual([
      'create command initialise the app: ran: /root/initialised does not exist',
      // grep's 2: the file is not there yet.
      'update command configure the app: ran: the unless test exited 2',
    ]);
    expect(await onHost(0, 'cat /root/creates-marker /root/unless-marker /root/app.conf')).toBe('ran\nran\nconfigured\n');
    // The command's output is in the log (through the same masking as every command's).
    expect(await readFile(log, 'utf8')).toContain('output of the first run');

    const second = await apply(file);
    expect(second.code, second.stderr).toBe(0);
    expect(changed(second.report)).toEqual([]);
    expect(host(second.report, 'hatch-a').result!.changes.map((change) => change.reason)).toEqual(['/root/initialised exists (creates)', 'the unless test exited 0']);
    expect(host(second.report, 'hatch-a').connection).toMatchObject({ commands: 1 });
    expect(await onHost(0, 'cat /root/creates-marker /root/unless-marker')).toBe('ran\nran\n');

    // Undo both on the host: check says what it would run, and runs nothing.
    await onHost(0, 'rm /root/initialised; echo changed by hand > /root/app.conf');
    const check = await apply(file, '--check');
    expect(check.code, check.stderr).toBe(0);
    expect(changed(check.report)).toEqual([
      'create command initialise the app: would run: /root/initialised does not exist',
      'update command configure the app: would run: the unless test exited 1',
    ]);
    expect(await onHost(0, 'cat /root/creates-marker /root/unless-marker /root/app.conf; ls /root/initialised 2>&1 || true')).toBe('ran\nran\nchanged by hand\nls: cannot access \'/root/initialised\': No such file or directory\n');

    // The drift check plans the same way: drift, in words, and still nothing run.
    const drift = await runFleet(['check', file, 'hatch']);
    expect(drift.code, drift.stdout + drift.stderr).toBe(2);
    expect(drift.stdout).toContain('hatch-a: drift command initialise the app: would run: /root/initialised does not exist\n');
    expect(await onHost(0, 'cat /root/creates-marker /root/unless-marker')).toBe('ran\nran\n');

    const repaired = await apply(file);
    expect(changed(repaired.report)).toHaveLength(2);
    expect(await onHost(0, 'cat /root/creates-marker /root/unless-marker /root/app.conf')).toBe('ran\nran\nran\nran\nconfigured\n');
  });

  it('a failing command fails that host only, naming the task, the exit code and its stderr; later tasks do not run there', async () => {
    const { file } = await setUp(`tasks:
  - name: refuse on hatch-b
    command:
      shell: 'if [ "$(hostname)" = hatch-b ]; then echo "not on this host" >&2; exit 7; fi'
  - command: { argv: [touch, /root/after-the-failure] }
`);
    const run = await apply(file);
    expect(run.code).toBe(2);
    expect(host(run.report, 'hatch-a').status).toBe('changed');
    expect(host(run.report, 'hatch-b')).toMatchObject({ status: 'failed', error: { step: 'command refuse on hatch-b', message: 'command refuse on hatch-b: exit code 7: not on this host' } });
    expect(await onHost(0, 'ls /root/after-the-failure')).toBe('/root/after-the-failure\n');
    expect(await onHost(1, 'ls /root/after-the-failure 2>/dev/null || echo absent')).toBe('absent\n');
  });

  it('hostile values reach the host byte for byte as argv, as a rendered shell word and in unless; a program named like an option is refused at its position', async () => {
    const { file } = await setUp(`tasks:
  - command:
      argv: [sh, -c, 'printf "%s|" "$@" > /root/argv-seen', sh, "{{vars.hostile}}", "-n", "--", "a\\nb", "$(touch /root/pwned)"]
      creates: /root/argv-seen
  - command:
      shell: "printf %s {{vars.hostile}} > /root/shell-seen"
      unless: "test -e /root/shell-seen && test \\"$(cat /root/shell-seen)\\" = {{vars.hostile}}"
`, { only: 0 });
    const first = await runFleet(['apply', file, 'hatch', '--no-register', '-e', JSON.stringify({ hostile: HOSTILE })]);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(await onHost(0, 'cat /root/argv-seen')).toBe(`${HOSTILE}|-n|--|a\nb|$(touch /root/pwned)|`);
    expect(await onHost(0, 'cat /root/shell-seen')).toBe(HOSTILE);
    // The unless test compared the host's file with the same rendered value: it holds now.
    const again = await apply(file, '-e', JSON.stringify({ hostile: HOSTILE }));
    expect(changed(again.report)).toEqual([]);
    expect(await onHost(0, 'ls /root/pwned 2>/dev/null || echo absent')).toBe('absent\n');

    const refused = await setUp('tasks:\n  - command: { argv: ["-rf", /root] }\n', { only: 0 });
    const run = await runFleet(['apply', refused.file, 'hatch', '--no-register']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${join(refused.dir, 'playbooks', 'hatch.yaml')}:2:22: tasks.0.command.argv.0: the program to run must be a name or a path`);
  });

  it('become: false runs the command and its unless test as the login user', async () => {
    const { file } = await setUp(`tasks:
  - command:
      shell: "id -un > /tmp/who-ran"
      unless: 'test "$(id -un)" = deploy && test -s /tmp/who-ran'
      become: false
`, { user: 'deploy', only: 0 });
    const first = await apply(file);
    expect(first.code, JSON.stringify(first.report)).toBe(0);
    expect(await onHost(0, 'cat /tmp/who-ran; stat -c %U /tmp/who-ran')).toBe('deploy\ndeploy\n');
    // Run as root, the test would fail for ever (and the re-check after apply would have said so).
    const second = await apply(file);
    expect(changed(second.report)).toEqual([]);
  });

  describe('package, from a local apt repository', () => {
    const debs = join(labDir(), 'debs');
    let repository = '';
    let requests: string[] = [];
    let close: (() => Promise<void>) | undefined;
    afterAll(async () => close?.());
    beforeAll(async () => {
      if (labUnavailable) return;
      if (!existsSync(join(debs, 'Packages'))) {
        const reason = `${debs}/Packages is missing: scripts/setup.sh downloads Debian's tree package there`;
        if (inCI()) throw new Error(reason);
        return;
      }
      const mirror = await startMirror(debs);
      repository = mirror.url;
      close = mirror.close;
      requests = mirror.requests;
      // The image's own lists stay (stale: they name deb.debian.org, which lab hosts cannot reach).
      await onHost(0, `rm -f /etc/apt/sources.list.d/*; echo 'deb [trusted=yes] ${repository}/ ./' > /etc/apt/sources.list`);
    });

    it('installs tree; a second apply changes nothing in one command; check after dpkg -r says it would install; absent removes it', async (context) => {
      if (!repository) context.skip(`${debs}/Packages is missing: run scripts/setup.sh`);
      const playbook = (state: string) =>
        `tasks:\n  - package: { name: tree, state: ${state} }\n    when: { package_manager: apt, os_family: debian }\n  - package: { name: tree-rpm-only }\n    when: { os_family: redhat }\n`;
      const { dir, file } = await setUp(playbook('present'), { only: 0 });
      const first = await apply(file);
      expect(first.code, JSON.stringify(first.report)).toBe(0);
      expect(changed(first.report)).toEqual(['create package tree: not installed: tree (apt)']);
      // The family comes from the real host's os-release.
      expect(host(first.report, 'hatch-a').result!.changes[1]).toEqual({ resource: 'package tree-rpm-only', action: 'skip', reason: 'when os_family is redhat (host: debian)' });
      expect(await onHost(0, 'tree --version')).toMatch(/^tree v2\.1\.0/);
      // The stale lists did not know the repository: the failed install was followed by one apt-get update.
      expect(requests.filter((path) => path.endsWith('Packages'))).toHaveLength(1);
      expect(requests.filter((path) => path.endsWith('.deb'))).toEqual(['/tree_2.1.0-1_amd64.deb']);

      const second = await apply(file);
      expect(changed(second.report)).toEqual([]);
      expect(host(second.report, 'hatch-a').connection).toMatchObject({ commands: 1 });

      await onHost(0, 'dpkg -r tree >/dev/null 2>&1');
      const check = await apply(file, '--check');
      expect(changed(check.report)).toEqual(['create package tree: not installed: tree (apt)']);
      expect(await onHost(0, 'command -v tree || echo absent')).toBe('absent\n');

      expect((await apply(file)).code).toBe(0);
      expect(await onHost(0, 'command -v tree')).toBe('/usr/bin/tree\n');
      await writeFile(join(dir, 'playbooks', 'hatch.yaml'), playbook('absent'));
      const removed = await apply(file);
      expect(changed(removed.report)).toEqual(['delete package tree: installed, to remove: tree (apt)']);
      expect(await onHost(0, 'command -v tree || echo absent')).toBe('absent\n');
    });
  });
});
