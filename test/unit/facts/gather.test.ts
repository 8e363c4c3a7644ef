import { describe, expect, it } from 'vitest';
import { HostError } from '../../../src/connection/errors.ts';
import type { Connection } from '../../../src/connection/ssh.ts';
import { gatherFacts } from '../../../src/facts/gather.ts';
import { runLocal } from '../../../src/local/run.ts';

// A real shell plays the host; like Connection.execChecked, a non-zero exit is a failure of the step.
const shellHost = {
  async execChecked(step: string, command: string) {
    const result = await runLocal('sh', ['-c', command]);
    if (result.code !== 0) throw new HostError('command', `${step}: exit code ${result.code}`);
    return result.stdout;
  },
} as unknown as Connection;

describe('the facts round trip', () => {
  it("answers every fact when the last read fails (a probe of a stopped service): a part's exit status is its answer, not the round trip's", async () => {
    const facts = await gatherFacts(shellHost, [
      { key: 'first', command: 'echo one' },
      { key: 'probe', command: "echo 'no answer'; exit 7" },
    ]);
    expect(facts.get('first')).toBe('one\n');
    expect(facts.get('probe')).toBe('no answer\n');
  });
});
