#!/usr/bin/env node
// Runs the compiled JavaScript in dist/ (`npm run build` writes it; the npm package ships it), so
// starting fleet costs no transpiler. tsx runs the TypeScript sources in tests and development only.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const entry = join(root, 'dist', 'cli', 'main.js');
const problem = buildProblem();
if (problem) {
  // A checkout whose build is missing or older than its sources fails loudly instead of silently running
  // old code (or falling back to a slow transpiler that would hide a broken build from the tests).
  process.stderr.write(`fleet: ${problem} in ${root}: run \`npm run build\` there (or run the sources: npx tsx src/cli/main.ts ...)\n`);
  process.exitCode = 1; // EXIT.usage (src/cli/exit-codes.ts cannot be loaded without a build)
} else {
  await import(entry);
}

/** Why dist/ cannot run, or undefined. Only a checkout has src/; an installed package has dist/ alone. */
function buildProblem() {
  if (!existsSync(entry)) return 'the build (dist/) is missing';
  const sources = join(root, 'src');
  if (!existsSync(sources)) return undefined;
  const builtAt = statSync(entry).mtimeMs;
  // Directories count too: deleting or renaming a source file changes its folder's mtime.
  const paths = [sources, ...readdirSync(sources, { recursive: true }).map((name) => join(sources, String(name)))];
  const newer = paths.find((path) => statSync(path).mtimeMs > builtAt);
  return newer ? `the build (dist/) is older than ${newer.slice(root.length + 1)}` : undefined;
}
