import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Vitest global setup: the CLI tests run bin/fleet.js, which runs the compiled dist/ and refuses a missing
 * or stale build. Ask it, and build once (before any test starts) when it refuses.
 */
export default function ensureBuilt(): void {
  if (probe().status === 0) return;
  process.stderr.write('dist/ is missing or older than src/: npm run build\n');
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  const after = probe();
  if (build.status !== 0 || after.status !== 0) throw new Error(`npm run build did not give a runnable fleet: ${after.stderr}`);
}

function probe() {
  return spawnSync(process.execPath, ['bin/fleet.js', '--version'], { cwd: ROOT, encoding: 'utf8' });
}
