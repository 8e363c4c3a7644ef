import { describe, expect, it } from 'vitest';
import { batchStopReason, parseSerial, splitIntoBatches } from '../../../src/engine/batches.ts';
import type { HostOutcome } from '../../../src/engine/events.ts';

const outcomes = (...statuses: HostOutcome['status'][]): HostOutcome[] => statuses.map((status, index) => ({ host: `h${index}`, status, durationMs: 1 }));

describe('--serial and --max-fail-percent', () => {
  it('parses a count or a percentage and refuses anything else', () => {
    expect(parseSerial('3')).toEqual({ count: 3 });
    expect(parseSerial('25%')).toEqual({ percent: 25 });
    for (const bad of ['0', '-1', '1.5', '0%', '101%', 'x', '']) expect(parseSerial(bad), bad).toBeUndefined();
  });

  it('splits in order; a percentage of all hosts rounds down, at least one host (as Ansible)', () => {
    const hosts = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    expect(splitIntoBatches(hosts, { count: 3 })).toEqual([['a', 'b', 'c'], ['d', 'e', 'f'], ['g']]);
    expect(splitIntoBatches(hosts, { percent: 30 })).toEqual([['a', 'b'], ['c', 'd'], ['e', 'f'], ['g']]);
    expect(splitIntoBatches(hosts, { percent: 10 })).toHaveLength(7);
    expect(splitIntoBatches(hosts, undefined)).toEqual([hosts]);
    expect(splitIntoBatches([], { count: 2 })).toEqual([]);
  });

  it('stops only when the failed share is strictly above the limit', () => {
    expect(batchStopReason(outcomes('failed', 'ok', 'ok', 'ok'), { maxFailPercent: 25, serial: true })).toBeUndefined();
    expect(batchStopReason(outcomes('failed', 'unreachable', 'ok', 'ok'), { maxFailPercent: 25, serial: true })).toBe(
      '2 of 4 hosts of the previous batch failed (50%, above --max-fail-percent 25)',
    );
    expect(batchStopReason(outcomes('ok', 'changed'), { maxFailPercent: 0, serial: true })).toBeUndefined();
    expect(batchStopReason(outcomes('ok', 'failed'), { maxFailPercent: 0, serial: true })).toMatch(/above --max-fail-percent 0/);
  });

  it('with --serial, a batch where every host failed stops the run even without a limit', () => {
    expect(batchStopReason(outcomes('failed', 'failed'), { serial: true })).toBe('every host of the previous batch failed (2 of 2)');
    expect(batchStopReason(outcomes('failed', 'ok'), { serial: true })).toBeUndefined();
    expect(batchStopReason(outcomes('failed', 'failed'), { serial: false })).toBeUndefined();
  });
});
