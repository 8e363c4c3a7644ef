import { afterEach, describe, expect, it } from 'vitest';
import { describeTrace } from '../../../src/cli/run-trace.ts';
import { emitTrace, registerSecret, setTraceSink, type CommandTrace } from '../../../src/connection/trace.ts';

const TRACE: CommandTrace = { type: 'command', host: 'web1', name: 'probe', command: 'curl -u ops:hunter2-pw http://x', sudo: true, durationMs: 1234, code: 0, stdout: 'token hunter2-pw\n', stderr: '' };

describe('command traces', () => {
  afterEach(() => setTraceSink(undefined));

  it('masks every registered secret in the command, its output and its error before a sink sees it', () => {
    const seen: unknown[] = [];
    setTraceSink((trace) => seen.push(trace));
    registerSecret('hunter2-pw');
    emitTrace(TRACE);
    emitTrace({ ...TRACE, code: undefined, error: 'sudo refused: hunter2-pw' });
    expect(JSON.stringify(seen)).not.toContain('hunter2-pw');
    expect(seen[0]).toMatchObject({ command: 'curl -u ops:******** http://x', stdout: 'token ********\n' });
  });

  it('says more at each level of -v', () => {
    expect(describeTrace(TRACE, 1)).toBe('[web1] probe 1.23s exit 0\n');
    expect(describeTrace(TRACE, 2)).toBe('[web1] probe 1.23s exit 0\n    (sudo) $ curl -u ops:hunter2-pw http://x\n');
    expect(describeTrace(TRACE, 3)).toContain('    stdout| token hunter2-pw\n');
  });
});
