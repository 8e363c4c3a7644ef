import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

// The real entry point, as installed: it runs the compiled dist/ (test/helpers/build.ts builds it first).
const FLEET = fileURLToPath(new URL('../../bin/fleet.js', import.meta.url));

declare module 'vitest' {
  export interface ProvidedContext {
    /** How long one `fleet` run may take before runFleet kills it: below the project's test timeout (vitest.config.ts). */
    runFleetTimeoutMs: number;
  }
}

export interface FleetRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  timeoutMs?: number;
  /** Another bin/fleet.js than this checkout's (an unpacked npm package, say). */
  entry?: string;
  cwd?: string;
}

/**
 * Runs the real `fleet` command as an operator would, and returns its exit code and output. A run that
 * outlives its timeout is killed, and the call fails saying so with what the run had printed, rather
 * than leaving a process behind a test that timed out.
 */
export function runFleet(args: string[], env: Record<string, string> = {}, options: RunOptions = {}): Promise<FleetRun> {
  const timeoutMs = options.timeoutMs ?? inject('runFleetTimeoutMs');
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [options.entry ?? FLEET, ...args],
      { cwd: options.cwd, env: { ...process.env, NO_COLOR: '1', ...env }, maxBuffer: 32 * 1024 * 1024, timeout: timeoutMs, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        if (error?.killed) {
          reject(new Error(`fleet ${args.join(' ')} did not finish within ${timeoutMs / 1000} s and was killed.\nstdout:\n${stdout}\nstderr:\n${stderr}`));
          return;
        }
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}
