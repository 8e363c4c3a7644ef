import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ResolvedHost } from '../../../src/inventory/resolve.ts';
import { buildHostProgram } from '../../../src/playbook/build-program.ts';
import { loadPlaybook, loadPlaybooks } from '../../../src/playbook/load.ts';
import type { Connection } from '../../../src/connection/ssh.ts';
import { runLocal } from '../../../src/local/run.ts';
import { factsFrom } from '../../helpers/facts.ts';
import { writeTempFiles } from '../../helpers/temp-files.ts';
import { loadHosts } from '../../../src/cli/load-hosts.ts';

const hostWith = (vars: Record<string, unknown>) => ({ name: 'web1', address: '192.0.2.1', groups: [], labels: {}, vars, sources: {}, ssh: { user: 'deploy' } }) as unknown as ResolvedHost;

async function build(tasks: string, vars: Record<string, unknown>) {
  const dir = writeTempFiles({ 'p.yaml': `tasks:\n${tasks}` });
  const playbook = await loadPlaybook(join(dir, 'p.yaml'));
  return buildHostProgram([playbook], hostWith(vars), dir).then(
    (program) => ({ program, error: undefined }),
    (error: Error) => ({ program: undefined, error: error.message.replaceAll(join(dir, 'p.yaml'), 'p.yaml') }),
  );
}

describe('values rendered from {{ }} meet the rules of literal ones', () => {
  it.each([
    ['an empty path', '  - directory: { path: "{{vars.dir}}" }\n', { dir: '' }, 'p.yaml tasks.0.directory.path: expected an absolute path, but for host web1 it renders to ""'],
    ['a relative path', '  - directory: { path: "{{vars.dir}}" }\n', { dir: 'var/lib/x' }, 'tasks.0.directory.path: expected an absolute path, but for host web1 it renders to "var/lib/x"'],
    ['a user named -o', '  - user: { name: "{{vars.user}}" }\n', { user: '-o' }, 'tasks.0.user.name: expected a user or group name, but for host web1 it renders to "-o"'],
    ['an owner with a shell command', '  - file: { path: /etc/x, content: y, owner: "{{vars.owner}}" }\n', { owner: 'root; reboot' }, 'tasks.0.file.owner: expected a user or group name'],
    ['a port that is not a number', '  - firewall: { port: "{{vars.port}}" }\n', { port: '22 accept' }, 'tasks.0.firewall.port: expected a number'],
    ['a URL that is not http(s)', '  - http_check: { url: "{{vars.u}}" }\n', { u: 'file:///etc/shadow' }, 'tasks.0.http_check.url: expected an http(s) URL, but for host web1 it renders to "file:///etc/shadow"'],
    ['an artifact URL that is no URL', '  - artifact: { name: x, url: "{{vars.u}}", member: x, dest: /usr/local/bin/x }\n', { u: '-K /etc/shadow' }, 'tasks.0.artifact.url: expected an http(s) URL'],
    ['a rendered {{ left over', '  - directory: { path: "{{vars.dir}}" }\n', { dir: '{{x}}' }, 'tasks.0.directory.path: expected an absolute path'],
  ])('refuses %s before connecting', async (_what, tasks, vars, message) => {
    const { error } = await build(tasks, vars);
    expect(error).toContain(message);
  });

  it('accepts the same values when they are good', async () => {
    const { program, error } = await build('  - directory: { path: "{{vars.dir}}", owner: "{{vars.user}}" }\n  - user: { name: "{{vars.user}}" }\n', { dir: '/var/lib/x', user: 'node_exporter' });
    expect(error).toBeUndefined();
    expect(program!.resources.map(({ resource }) => resource.id)).toEqual(['directory /var/lib/x', 'user node_exporter']);
  });

  it('quotes every value rendered into a validate command as one shell word', async () => {
    // The file resource's real write script runs in a local shell standing in for the host.
    const dir = writeTempFiles({ 'p.yaml': `tasks:\n  - file: { path: PLACE/out, content: y, validate: "echo --level={{vars.level}} > PLACE/seen" }\n` });
    const playbookFile = join(dir, 'p.yaml');
    writeFileSync(playbookFile, readFileSync(playbookFile, 'utf8').replaceAll('PLACE', dir));
    const hostile = "x; touch PLACE/pwned; #'".replaceAll('PLACE', dir);
    const built = await buildHostProgram([await loadPlaybook(playbookFile)], hostWith({ level: hostile }), dir);
    const { resource } = built.resources[0]!;
    const localHost = {
      upload: async (content: string, path: string) => writeFileSync(path, content, { mode: 0o600 }),
      execChecked: async (_step: string, script: string) => (await runLocal('sh', ['-c', script])).stdout,
    } as unknown as Connection;
    await resource.apply(localHost, { resource: resource.id, action: 'create', reason: '', diff: { before: '', after: 'y' } }, factsFrom({}));
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
    expect(readFileSync(join(dir, 'seen'), 'utf8')).toBe(`--level=${hostile}\n`);
    expect(readFileSync(join(dir, 'out'), 'utf8')).toBe('y');
  });
});

describe('command and package tasks: rendered values reach the shell as data, or are refused', () => {
  const HOSTILE = "it's $(touch PLACE/pwned) `id` \"q\"\nsecond line; -rf *";
  /** Builds the task for a host with `value` as vars.v, and runs its command in a local shell standing in for the host. */
  async function runLocally(task: string, value: string) {
    const dir = writeTempFiles({ 'p.yaml': `tasks:\n${task.replaceAll('PLACE', '__DIR__')}` });
    const playbookFile = join(dir, 'p.yaml');
    writeFileSync(playbookFile, readFileSync(playbookFile, 'utf8').replaceAll('__DIR__', dir));
    const built = await buildHostProgram([await loadPlaybook(playbookFile)], hostWith({ v: value.replaceAll('PLACE', dir) }), dir);
    const { resource } = built.resources[0]!;
    const localHost = { execChecked: async (_step: string, script: string) => (await runLocal('sh', ['-c', script])).stdout } as unknown as Connection;
    await resource.apply(localHost, resource.plan(factsFrom({})) as never, factsFrom({}));
    return { dir, hostile: value.replaceAll('PLACE', dir) };
  }

  it('an argv element rendered from a variable is one argument, byte for byte', async () => {
    const { dir, hostile } = await runLocally(`  - command: { argv: [sh, -c, 'printf %s "$1" > "$0"', PLACE/seen, "{{vars.v}}"] }\n`, HOSTILE);
    expect(readFileSync(join(dir, 'seen'), 'utf8')).toBe(hostile);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
  });

  it('a value rendered into shell: is quoted as one word', async () => {
    const { dir, hostile } = await runLocally(`  - command: { shell: "printf %s {{vars.v}} > PLACE/seen" }\n`, HOSTILE);
    expect(readFileSync(join(dir, 'seen'), 'utf8')).toBe(hostile);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
  });

  it.each([
    ['a package name rendering to an option', '  - package: { name: "{{vars.v}}" }\n', '-o', 'p.yaml tasks.0.package.name: expected a package name (letters, digits, . _ + ~ -; not starting with -), but for host web1 it renders to "-o"'],
    ['a program rendering to an option', '  - command: { argv: ["{{vars.v}}", x] }\n', '--help', 'tasks.0.command.argv.0: the program to run must be a name or a path: not empty, not an option (-x), no leading space, but for host web1 it renders to "--help"'],
    ['a creates: path rendering to a relative one', '  - command: { shell: make, creates: "{{vars.v}}" }\n', 'out/x', 'tasks.0.command.creates: expected an absolute path, but for host web1 it renders to "out/x"'],
    ['a chdir rendering to nothing', '  - command: { shell: make, chdir: "{{vars.v}}" }\n', '', 'tasks.0.command.chdir: expected an absolute path'],
  ])('refuses %s before connecting', async (_what, tasks, value, message) => {
    const { error } = await build(tasks, { v: value });
    expect(error).toContain(message);
  });

  it('a command is named as written: a rendered value (a token, say) stays out of the recap', async () => {
    const { program } = await build('  - command: { shell: "curl -H \'Authorization: {{vars.v}}\' https://example.com/hook" }\n', { v: 'Bearer s3cr3t' });
    expect(program!.resources[0]!.resource.id).toBe("command curl -H 'Authorization: {{vars.v}}' https://example.com/hook");
  });

  it('a task that when: vars rules out is not rendered, and is reported as skipped with why', async () => {
    const { program, error } = await build('  - package: { name: "{{vars.missing}}" }\n    when: { vars: { "app.enabled": true } }\n', { app: { enabled: false } });
    expect(error).toBeUndefined();
    expect(program!.resources[0]!.resource.plan(factsFrom({}))).toEqual({ resource: 'package {{vars.missing}}', action: 'skip', reason: 'when vars.app.enabled is true (host: false)' });
  });
});

describe('fleet variables are checked once merged, whichever layer set them', () => {
  const inventory = 'hosts:\n  web1:\n    address: 192.0.2.1\n';
  const load = (extra: string[]) => loadHosts(join(writeTempFiles({ 'inv.yaml': inventory }), 'inv.yaml'), { extraVars: extra }).then(() => '', (error: Error) => error.message);

  it('refuses a stability level that is not one of Alloy’s, naming -e as its source', async () => {
    expect(await load(['alloy.stability_level=x; touch /root/pwned; #'])).toBe(
      'host web1: vars.alloy.stability_level (set by -e): expected one of "generally-available", "public-preview", "experimental", found "x; touch /root/pwned; #"',
    );
  });

  it.each([
    ['node_exporter.textfile_directory=relative/dir', 'vars.node_exporter.textfile_directory (set by -e): expected an absolute path'],
    ['alloy.storage_path=', 'vars.alloy.storage_path (set by -e): expected an absolute path'],
    ['node_exporter.port=70000', 'vars.node_exporter.port (set by -e)'],
    ['node_exporter.protect_home=maybe', 'vars.node_exporter.protect_home (set by -e): expected one of'],
    ['node_exporter.listen_address=0.0.0.0 --evil', 'vars.node_exporter.listen_address (set by -e): expected an IP address'],
  ])('refuses -e %s', async (pair, message) => {
    expect(await load([pair])).toContain(message);
  });

  it('accepts the shipped defaults and the example inventory', async () => {
    expect(await load([])).toBe('');
    await expect(loadHosts('inventory.example.yaml', {})).resolves.toBeDefined();
    await expect(loadPlaybooks(['site'], '/nonexistent')).resolves.toHaveLength(3);
  });
});

describe('paths that end up in a unit file command line', () => {
  it('refuses a textfile directory with a space (it would split ExecStart’s argument)', async () => {
    const inventory = 'hosts:\n  web1:\n    address: 192.0.2.1\n';
    const error = await loadHosts(join(writeTempFiles({ 'inv.yaml': inventory }), 'inv.yaml'), { extraVars: ['node_exporter.textfile_directory=/var/lib/x --collector.disable-defaults'] }).catch((caught: Error) => caught.message);
    expect(error).toContain('vars.node_exporter.textfile_directory (set by -e): expected an absolute path without spaces');
  });
});
