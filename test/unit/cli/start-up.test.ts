import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFleet } from '../../helpers/run-fleet.ts';
import { writeTempFiles } from '../../helpers/temp-files.ts';

// Start-up time is measured by scripts/bench.sh, never in a test; what a test can pin down is the cause:
// which packages a command loads. A module hook prints every ESM module Node loads.
const hooks = writeTempFiles({
  'hooks.mjs': "export async function load(url, context, next) { process.stderr.write(`loaded ${url}\\n`); return next(url, context); }\n",
  'register.mjs': "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n",
});

async function packagesLoadedBy(args: string[]): Promise<Set<string>> {
  const run = await runFleet(args, { NODE_OPTIONS: `--import ${pathToFileURL(join(hooks, 'register.mjs')).href}` });
  expect(run.code).toBe(0);
  return new Set([...run.stderr.matchAll(/^loaded .*\/node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)].map((match) => match[1]!));
}

// The libraries that connect, render, pack and draw spinners: only the commands that use them load them.
const WORKING_LIBRARIES = ['node-ssh', 'ssh2', 'handlebars', 'ora', 'tar', 'fflate', 'bcryptjs', 'p-limit'];

describe('start-up', () => {
  it('fleet --help and a command\'s --help load no library that validates, connects, renders or packs', async () => {
    for (const args of [['--help'], ['apply', '--help']]) {
      const loaded = await packagesLoadedBy(args);
      expect(loaded.has('commander')).toBe(true);
      expect([...loaded].filter((name) => ['zod', 'yaml', 'ssh-config', ...WORKING_LIBRARIES].includes(name))).toEqual([]);
    }
  });

  it('fleet inventory loads the inventory\'s parsers, and nothing that connects or renders', async () => {
    const loaded = await packagesLoadedBy(['inventory', 'inventory.example.yaml']);
    expect(loaded.has('zod')).toBe(true);
    expect([...loaded].filter((name) => WORKING_LIBRARIES.includes(name))).toEqual([]);
  });
});
