import type { TestProject } from 'vitest/node';
import { labUnavailableReason } from '../../src/lab/lab.ts';
import { ensureLabNetwork } from '../../src/lab/network.ts';
import { ensureRootfs } from '../../src/lab/rootfs.ts';
import { inCI } from '../helpers/required-tool.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    labUnavailable: string;
  }
}

/**
 * Builds (or reuses) the lab image and the bridge once for all lab suites. Where the lab cannot run,
 * the suites are skipped and say so loudly; under CI that is a failure instead.
 */
export default async function setup(project: TestProject): Promise<void> {
  const reason = await labUnavailableReason();
  if (reason) {
    if (inCI()) throw new Error(`the lab is required in CI but cannot run: ${reason}`);
    process.stderr.write(`\n*** LAB SUITES SKIPPED: ${reason}. Only the unit tests ran. ***\n\n`);
    project.provide('labUnavailable', reason);
    return;
  }
  await ensureRootfs((line) => process.stderr.write(`${line}\n`));
  await ensureLabNetwork();
  project.provide('labUnavailable', '');
}
