import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { addHostOptions, DEFAULT_FORKS } from '../../../src/cli/common-options.ts';
import { applyProjectDefaults } from '../../../src/cli/project-defaults.ts';
import { findProjectConfig, loadProjectConfig } from '../../../src/config/project-config.ts';
import { runFleet } from '../../helpers/run-fleet.ts';
import { writeTempFiles } from '../../helpers/temp-files.ts';

const INVENTORY = 'hosts:\n  web1: { address: 10.0.0.1 }\n  web2: { address: 10.0.0.2 }\n';

async function configError(yaml: string): Promise<string> {
  const file = join(writeTempFiles({ 'fleet.yaml': yaml }), 'fleet.yaml');
  const error = await loadProjectConfig(file).then(() => undefined, (caught: unknown) => caught as Error);
  expect(error).toBeDefined();
  return error!.message.replaceAll(file, 'fleet.yaml');
}

/** Parses `fleet ping INVENTORY ...flags` through commander with the same preAction hook as main.ts. */
async function pingOptions(inventory: string, flags: string[] = []): Promise<{ forks: number; retryFile?: string | false }> {
  const program = new Command('fleet').exitOverride();
  let seen: { forks: number; retryFile?: string | false } | undefined;
  addHostOptions(program.command('ping').argument('<inventory>')).action((_inventory: string, options: typeof seen) => {
    seen = options;
  });
  program.hook('preAction', (_program, command) => applyProjectDefaults(command));
  await program.parseAsync(['node', 'fleet', 'ping', inventory, ...flags]);
  return seen!;
}

describe('fleet.yaml', () => {
  const saved = { FLEET_FORKS: process.env.FLEET_FORKS, FLEET_CONFIG: process.env.FLEET_CONFIG };
  afterEach(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('reports a wrong type and an unknown key at file:line:col, like the inventory', async () => {
    expect(await configError('color: auto\nforks: many\n')).toBe('fleet.yaml:2:8: forks: expected a number, found "many"');
    expect(await configError('fork: 3\n')).toBe('fleet.yaml:1:1: fork: unknown key; did you mean "forks"?');
    expect(await configError('color: sometimes\n')).toBe('fleet.yaml:1:8: color: expected one of "auto", "always", "never", found "sometimes"');
    expect(await configError('forks: [1\n')).toMatch(/^fleet\.yaml:\d+:\d+: invalid YAML/);
  });

  it('resolves its paths against its own folder', async () => {
    const dir = writeTempFiles({ 'fleet.yaml': 'inventory: inv.yaml\nlog_file: logs/fleet.jsonl\nretry_files_dir: retry\n' });
    const config = await loadProjectConfig(join(dir, 'fleet.yaml'));
    expect(config).toMatchObject({ inventory: join(dir, 'inv.yaml'), logFile: join(dir, 'logs/fleet.jsonl'), retryFilesDir: join(dir, 'retry') });
  });

  it('is found through FLEET_CONFIG, then next to the inventory, then in the working directory', () => {
    const project = writeTempFiles({ 'fleet.yaml': 'forks: 2\n', 'inv.yaml': INVENTORY });
    const elsewhere = writeTempFiles({ 'inv.yaml': INVENTORY });
    const cwd = writeTempFiles({ 'fleet.yaml': 'forks: 3\n' });
    expect(findProjectConfig(join(project, 'inv.yaml'), {}, cwd)).toBe(join(project, 'fleet.yaml'));
    expect(findProjectConfig(join(elsewhere, 'inv.yaml'), {}, cwd)).toBe(join(cwd, 'fleet.yaml'));
    expect(findProjectConfig(join(elsewhere, 'inv.yaml'), {}, elsewhere)).toBeUndefined();
    expect(findProjectConfig(join(project, 'inv.yaml'), { FLEET_CONFIG: join(cwd, 'fleet.yaml') }, cwd)).toBe(join(cwd, 'fleet.yaml'));
    expect(() => findProjectConfig(undefined, { FLEET_CONFIG: '/nonexistent/fleet.yaml' })).toThrow('FLEET_CONFIG=/nonexistent/fleet.yaml: no such file');
  });

  it('sits below flags and the environment and above the built-in defaults', async () => {
    delete process.env.FLEET_CONFIG;
    delete process.env.FLEET_FORKS;
    const bare = writeTempFiles({ 'inv.yaml': INVENTORY });
    expect((await pingOptions(join(bare, 'inv.yaml'))).forks).toBe(DEFAULT_FORKS); // built in

    const dir = writeTempFiles({ 'inv.yaml': INVENTORY, 'fleet.yaml': 'forks: 3\nretry_files_dir: retries\n' });
    const inventory = join(dir, 'inv.yaml');
    expect(await pingOptions(inventory)).toMatchObject({ forks: 3, retryFile: join(dir, 'retries', 'inv.retry') }); // file
    process.env.FLEET_FORKS = '5';
    expect((await pingOptions(inventory)).forks).toBe(5); // environment over file
    expect(await pingOptions(inventory, ['--forks', '7', '--retry-file', '/tmp/x.retry'])).toMatchObject({ forks: 7, retryFile: '/tmp/x.retry' }); // flags over all
    expect((await pingOptions(inventory, ['--no-retry-file'])).retryFile).toBe(false);
  });

  it('turns retry files off with retry_files: false', async () => {
    const dir = writeTempFiles({ 'inv.yaml': INVENTORY, 'fleet.yaml': 'retry_files: false\n' });
    expect((await pingOptions(join(dir, 'inv.yaml'))).retryFile).toBe(false);
  });

  it('lets a command run without an inventory argument when fleet.yaml names one, and reports its errors', async () => {
    const dir = writeTempFiles({ 'inv.yaml': INVENTORY, 'fleet.yaml': 'inventory: inv.yaml\n' });
    const listed = await runFleet(['inventory', '--json'], {}, { cwd: dir });
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { hosts: { name: string }[] }).hosts.map((host) => host.name)).toEqual(['web1', 'web2']);

    // apply's first argument is a playbook name here, not a file: the inventory comes from fleet.yaml. Nothing listens on port 1.
    const local = writeTempFiles({ 'inv.yaml': 'hosts:\n  closed: { address: 127.0.0.1, ssh: { port: 1 } }\n', 'fleet.yaml': 'inventory: inv.yaml\nretry_files: false\n' });
    const applied = await runFleet(['apply', 'node-exporter', '--check', '--json', '--no-register'], {}, { cwd: local });
    expect(applied.code, applied.stderr).toBe(4);
    expect((JSON.parse(applied.stdout) as { hosts: { host: string; status: string }[]; retryFile: string | null })).toMatchObject({ hosts: [{ host: 'closed', status: 'unreachable' }], retryFile: null });

    const broken = writeTempFiles({ 'inv.yaml': INVENTORY, 'fleet.yaml': 'forks: 0\n' });
    const run = await runFleet(['inventory', 'inv.yaml'], {}, { cwd: broken });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('fleet: fleet.yaml:1:8: forks: expected a number >= 1, found number 0');
  });
});

describe('examples/fleet.yaml', () => {
  it('is a valid project config', async () => {
    await expect(loadProjectConfig('examples/fleet.yaml')).resolves.toMatchObject({ forks: 20, color: 'auto', retryFiles: true });
  });
});
