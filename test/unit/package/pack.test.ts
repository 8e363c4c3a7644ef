import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runFleet } from '../../helpers/run-fleet.ts';
import { writeTempFiles } from '../../helpers/temp-files.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

// What `npm install -g fleet` puts on disk: the packed tarball, unpacked away from the checkout.
// --ignore-scripts: the prepack build already ran in test/helpers/build.ts (vitest's global setup).
let packed: string[];
let installed: string;
let cwd: string | undefined;

// A directory of its own, holding an inventory whose one host has an address nothing listens on.
function workDir(): string {
  cwd ??= writeTempFiles({ 'inventory.yaml': 'hosts:\n  nowhere:\n    address: 127.0.0.1\n    ssh: { port: 1, user: deploy, connect_timeout: 5 }\n' });
  return cwd;
}

const runInstalled = (args: string[]) => runFleet(args, {}, { entry: join(installed, 'bin', 'fleet.js'), cwd: workDir() });

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-pack-'));
  const [report] = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' })) as { filename: string; files: { path: string }[] }[];
  packed = report!.files.map((file) => file.path);
  execFileSync('tar', ['-xzf', join(dir, report!.filename), '-C', dir]);
  installed = join(dir, 'package');
  // Dependencies as npm would install them (the registry is not needed for this test).
  symlinkSync(join(ROOT, 'node_modules'), join(installed, 'node_modules'));
}, 60_000);

describe('the npm package', () => {
  it('ships what runs: the entry, the compiled code, playbooks, templates and documents, and nothing else', () => {
    const compiled = readdirSync(join(ROOT, 'src'), { recursive: true })
      .map(String)
      .filter((name) => name.endsWith('.ts'))
      .map((name) => `dist/${name.replace(/\.ts$/, '.js')}`);
    expect(packed).toEqual(expect.arrayContaining(['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', 'bin/fleet.js', 'playbooks/site.yaml', 'templates/config.alloy.hbs', ...compiled]));
    const outside = packed.filter((path) => !/^(bin|dist|playbooks|templates|examples)\/|^(package\.json|README\.md|CHANGELOG\.md|LICENSE|inventory\.example\.yaml)$/.test(path));
    expect(outside).toEqual([]);
    expect(packed.filter((path) => path.endsWith('.ts'))).toEqual([]);
  });

  // One run per test: each starts Node cold, seconds apiece on a loaded machine.
  it('runs from where it is installed: its dependencies resolve next to it', async () => {
    const inventory = await runInstalled(['inventory', join(ROOT, 'inventory.example.yaml')]);
    expect(inventory.code).toBe(0);
    expect(inventory.stdout).toContain('4 host(s)');
  });

  it('finds itself where it is installed, not in the working directory', async () => {
    const schedule = await runInstalled(['schedule', 'inventory.yaml']);
    expect(schedule.stdout).toContain(`${installed}/bin/fleet.js check ${join(workDir(), 'inventory.yaml')}`);
  });

  it('finds its own playbooks where it is installed', async () => {
    // Exit 4 (the host is unreachable) comes after the playbooks loaded; a missing playbook would be exit 1.
    const apply = await runInstalled(['apply', 'inventory.yaml', '--check', '--no-register']);
    expect(apply.stderr).not.toContain('not found');
    expect(apply.code).toBe(4);
  });
});
