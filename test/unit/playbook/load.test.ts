import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mkdir, rename } from 'node:fs/promises';
import { loadPlaybook, loadPlaybooks } from '../../../src/playbook/load.ts';
import { buildHostProgram } from '../../../src/playbook/build-program.ts';
import type { ResolvedHost } from '../../../src/inventory/resolve.ts';
import { writeTempFiles } from '../../helpers/temp-files.ts';

describe('loadPlaybook', () => {
  it('loads the shipped site playbook with the ones it imports, in order', async () => {
    const loaded = await loadPlaybooks(['site'], '/nonexistent');
    expect(loaded.map(({ playbook }) => playbook.name)).toEqual(['site', 'node-exporter', 'alloy']);
  });

  it('refuses a playbook that imports itself', async () => {
    const dir = writeTempFiles({ 'a.yaml': 'import: [b]\n', 'b.yaml': 'import: [a]\n' });
    await mkdir(join(dir, 'playbooks'));
    for (const name of ['a', 'b']) await rename(join(dir, `${name}.yaml`), join(dir, 'playbooks', `${name}.yaml`));
    await expect(loadPlaybooks(['a'], dir)).rejects.toThrow(/imports itself \(.*a\.yaml -> .*b\.yaml -> .*a\.yaml\)/);
  });

  it('reports a bad mode, an unknown key and a task with two kinds at file:line:col', async () => {
    const dir = writeTempFiles({
      'p.yaml': 'tasks:\n  - file: { path: /etc/a, content: x, mode: 644 }\n  - directory: { path: /etc/b, mdoe: "0755" }\n  - directory: { path: /etc/c }\n    file: { path: /etc/d, content: y }\n',
    });
    const error = await loadPlaybook(join(dir, 'p.yaml')).catch((caught: Error) => caught);
    const lines = (error as Error).message.replaceAll(join(dir, 'p.yaml'), 'p.yaml').split('\n');
    expect(lines).toContain('p.yaml:2:45: tasks.0.file.mode: expected a string, found number 644');
    expect(lines).toContain('p.yaml:3:32: tasks.1.directory.mdoe: unknown key; did you mean "mode"?');
    expect(lines).toContain('p.yaml:4:5: tasks.2: expected exactly one of directory, file, template, unit, user, artifact, service, firewall, http_check, command, package in each task, found a mapping');
  });

  it('checks when, notify and the new kinds before anything connects', async () => {
    const dir = writeTempFiles({
      'p.yaml': 'tasks:\n  - service: { name: x }\n    notify: [bounce x]\n  - firewall: { port: 9100 }\n    when: { cpu: amd64 }\n  - http_check: { url: "http://127.0.0.1/", from: "two words" }\n',
    });
    const error = await loadPlaybook(join(dir, 'p.yaml')).catch((caught: Error) => caught);
    const lines = (error as Error).message.replaceAll(join(dir, 'p.yaml'), 'p.yaml').split('\n');
    expect(lines).toContain('p.yaml:3:14: tasks.0.notify.0: expected "restart SERVICE" or "reload SERVICE", found "bounce x"');
    expect(lines.find((line) => line.startsWith('p.yaml:5:13: tasks.1.when.cpu: unknown key'))).toBeDefined();
    expect(lines.find((line) => line.startsWith('p.yaml:6:51: tasks.2.http_check.from:'))).toContain('expected host, controller or an inventory host name, found "two words"');
  });
});

describe('command, package and when: checked at load time, at their positions', () => {
  const errorsOf = async (text: string) => {
    const dir = writeTempFiles({ 'p.yaml': text });
    const error = await loadPlaybook(join(dir, 'p.yaml')).then(() => undefined, (caught: Error) => caught);
    return (error?.message ?? '').replaceAll(join(dir, 'p.yaml'), 'p.yaml').split('\n');
  };

  it('an unknown fact in when: is an error with a did-you-mean; a bad variable path too', async () => {
    const lines = await errorsOf('tasks:\n  - package: { name: tree }\n    when: { os_famly: debian }\n  - package: { name: tree }\n    when: { vars: { "a..b": 1 } }\n');
    expect(lines).toContain('p.yaml:3:13: tasks.0.when.os_famly: unknown key; did you mean "os_family"?');
    expect(lines.find((line) => line.startsWith('p.yaml:5:'))).toContain('tasks.1.when.vars."a..b": expected a variable path like node_exporter.enabled');
  });

  it('a command takes argv or shell, not both; the program is not an option; guards are checked', async () => {
    const lines = await errorsOf(
      'tasks:\n  - command: { argv: [ls], shell: ls }\n  - command: { argv: ["-rf", /] }\n  - command: { shell: "make", creates: relative/path }\n  - command: { shell: "make", timeout: 0 }\n',
    );
    expect(lines).toContain('p.yaml:2:14: tasks.0.command: expected exactly one of argv (a list: program and arguments) or shell (a string for /bin/sh -c), found a mapping');
    expect(lines).toContain('p.yaml:3:22: tasks.1.command.argv.0: the program to run must be a name or a path: not empty, not an option (-x), no leading space');
    expect(lines).toContain('p.yaml:4:40: tasks.2.command.creates: expected an absolute path, found "relative/path"');
    expect(lines.find((line) => line.startsWith('p.yaml:5:'))).toContain('tasks.3.command.timeout: expected a number > 0, found number 0');
  });

  it('a package name may not look like an option, hold a space or a shell character', async () => {
    const lines = await errorsOf('tasks:\n  - package: { name: -y }\n  - package: { names: [tree, "a b", "x;reboot"] }\n  - package: { name: tree, names: [tree] }\n');
    expect(lines).toContain('p.yaml:2:22: tasks.0.package.name: expected a package name (letters, digits, . _ + ~ -; not starting with -), found "-y"');
    expect(lines.find((line) => line.startsWith('p.yaml:3:') && line.includes('tasks.1.package.names.1'))).toContain('found "a b"');
    expect(lines.find((line) => line.startsWith('p.yaml:3:') && line.includes('tasks.1.package.names.2'))).toContain('found "x;reboot"');
    expect(lines).toContain('p.yaml:4:14: tasks.2.package: expected exactly one of name (one package) or names (a list), found a mapping');
  });
});

describe('building a host program', () => {
  it('refuses a check from a host the inventory does not have, before connecting', async () => {
    const dir = writeTempFiles({ 'p.yaml': 'tasks:\n  - http_check: { url: "http://127.0.0.1/", from: nowhere }\n' });
    const playbook = await loadPlaybook(join(dir, 'p.yaml'));
    const host = { name: 'web1', address: '192.0.2.1', groups: [], labels: {}, vars: {} } as unknown as ResolvedHost;
    await expect(buildHostProgram([playbook], host, dir)).rejects.toThrow(`${join(dir, 'p.yaml')} tasks.0.http_check.from: "nowhere" is not host, controller or a host of the inventory`);
  });
});
