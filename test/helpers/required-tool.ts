import { execFile } from 'node:child_process';
import type { TestContext } from 'vitest';

/** CI=true (or 1, yes) means CI; CI=false, CI=0 or no CI variable mean a developer's machine. */
export function inCI(): boolean {
  return ['true', '1', 'yes'].includes((process.env.CI ?? '').trim().toLowerCase());
}

const onPath = (tool: string) => new Promise<boolean>((resolve) => execFile('sh', ['-c', 'command -v "$1"', 'sh', tool], (error) => resolve(!error)));

/**
 * A tool the test needs on the controller. Missing, the test is reported as skipped with the reason
 * (never passed); under CI a missing tool fails the test instead.
 */
export async function requireTool(context: TestContext, tool: string, install: string): Promise<void> {
  if (await onPath(tool)) return;
  const reason = `${tool} is not installed here (${install})`;
  if (inCI()) throw new Error(`${reason}: required in CI`);
  context.skip(reason);
}
