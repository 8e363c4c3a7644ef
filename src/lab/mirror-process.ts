import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PACKAGE_ROOT } from '../package-root.ts';
import { LAB_GATEWAY, labDir } from './layout.ts';
import { commandLineOf } from './processes.ts';

/** The port of `fleet lab up`'s release mirror on the bridge (tests run their own on a free port). */
export const LAB_MIRROR_PORT = 8480;
export const labMirrorUrl = () => `http://${LAB_GATEWAY}:${LAB_MIRROR_PORT}`;
const pidFile = () => join(labDir(), 'mirror.pid');
const MARKER = 'serve-mirror';

function isOurMirror(pid: number): boolean {
  return commandLineOf(pid)?.includes(MARKER) === true;
}

/** Builds the mirror's content and starts `fleet lab serve-mirror` in the background, recording its PID. */
export async function startLabMirror(): Promise<string> {
  await stopLabMirror();
  const root = join(labDir(), 'mirror');
  // The archive packers load only here: `fleet lab` shares its module with `fleet --help`, which must start fast.
  const { buildLabMirror } = await import('./mirror.ts');
  await buildLabMirror(root);
  const log = openSync(join(labDir(), 'mirror.log'), 'a');
  const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'bin', 'fleet.js'), 'lab', MARKER, root, '--port', String(LAB_MIRROR_PORT)], { detached: true, stdio: ['ignore', log, log] });
  child.unref();
  await writeFile(pidFile(), `${child.pid}\n`);
  for (let i = 0; i < 50; i++) {
    if (await fetch(`${labMirrorUrl()}/`).then(() => true, () => false)) return labMirrorUrl();
    await sleep(100);
  }
  throw new Error(`the lab mirror did not start; see ${join(labDir(), 'mirror.log')}`);
}

export async function stopLabMirror(): Promise<void> {
  if (!existsSync(pidFile())) return;
  const pid = Number(readFileSync(pidFile(), 'utf8').trim());
  if (pid > 0 && isOurMirror(pid)) process.kill(pid, 'SIGTERM');
  await rm(pidFile(), { force: true });
}
