import { execFile } from 'node:child_process';

export interface LocalResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program on the controller without a shell; a non-zero exit is returned, not thrown. */
export function runLocal(file: string, args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<LocalResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 0, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 127) : 0;
        resolve({ code, stdout, stderr: stderr || (error && !stderr ? String(error.message) : '') });
      },
    );
    // Always closed: a program that would ask a question (ssh-keygen's "Overwrite?") reads end of file, never waits for good.
    // A program that exits without reading its input closes the pipe first: that EPIPE is no failure of ours.
    child.stdin?.on('error', () => {});
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** Like runLocal, but a non-zero exit throws with the command and its stderr. */
export async function runLocalChecked(file: string, args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const result = await runLocal(file, args, options);
  if (result.code !== 0) {
    throw new Error(`${file} ${args.join(' ')} exited ${result.code}: ${result.stderr.trim().split('\n').slice(-5).join('\n')}`);
  }
  return result.stdout;
}
