import type { TestProject } from 'vitest/node';
import { labUnavailableReason } from '../../src/lab/lab.ts';
import { ensureLabNetwork } from '../../src/lab/network.ts';
import { ensureRootfs, LAB_SUITES } from '../../src/lab/rootfs.ts';
import { inCI } from '../helpers/required-tool.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    labUnavailable: string;
  }
}

/**
 * Builds (or reuses) the lab images and the bridge once for all lab suites. Where the lab cannot run,
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
  // Debian 12 and 13 images, built in parallel (each once, cached by its recipe).
  await Promise.all(LAB_SUITES.map((suite) => ensureRootfs((line) => process.stderr.write(`${line}\n`), suite)));
  await ensureLabNetwork();
  project.provide('labUnavailable', '');
}
