import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** The command line of a running process, or undefined when it is gone. PIDs get reused: check before a kill. */
export function commandLineOf(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
}

/** True when `pid` is still the systemd-nspawn process we started. */
export function isOurNspawn(pid: number, machine: string): boolean {
  const args = commandLineOf(pid);
  return args?.[0]?.endsWith('systemd-nspawn') === true && args.includes(`--machine=${machine}`);
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** The container's own init (systemd), the one child of its nspawn process. */
export function containerInitPid(nspawnPid: number): number | undefined {
  return childrenOf(nspawnPid)[0];
}

/**
 * Stops one container: SIGTERM asks nspawn to power the container off; if it is still there after
 * the grace period, end the container's init (nspawn's child) and then nspawn itself.
 */
export async function stopNspawn(pid: number, machine: string, graceMs = 8000): Promise<void> {
  if (!isOurNspawn(pid, machine)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isOurNspawn(pid, machine)) return;
    await sleep(100);
  }
  for (const child of childrenOf(pid)) {
    try {
      process.kill(child, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await sleep(300);
  if (isOurNspawn(pid, machine)) process.kill(pid, 'SIGKILL');
}
