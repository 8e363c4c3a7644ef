import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const FLEET = fileURLToPath(new URL('../../bin/fleet.js', import.meta.url));

export interface FleetRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `fleet` command as an operator would, and returns its exit code and output. */
export function runFleet(args: string[], env: Record<string, string> = {}): Promise<FleetRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [FLEET, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}
