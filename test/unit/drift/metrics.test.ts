import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { renderDriftMetrics } from '../../../src/drift/metrics.ts';
import { driftExitCode, type DriftReport } from '../../../src/drift/summary.ts';

const report: DriftReport = {
  startedAt: new Date('2026-11-25T12:00:00Z'),
  durationMs: 1234,
  drift: [{ host: 'web1', resource: 'file /etc/alloy/config.alloy', reason: 'content differs' }],
  hosts: [
    { host: 'web1', state: 'drift', durationMs: 900, resources: [{ resource: 'file /etc/alloy/config.alloy', drifted: true }, { resource: 'service "odd"\\name', drifted: false }] },
    { host: 'web2', state: 'unreachable', durationMs: 5000, resources: [] },
  ],
};

describe('drift metrics', () => {
  const text = renderDriftMetrics(report);

  it('has a gauge per host and resource, reachability, and when and how long the check ran', () => {
    expect(text).toContain('fleet_drift{host="web1",resource="file /etc/alloy/config.alloy"} 1\n');
    expect(text).toContain('fleet_drift{host="web1",resource="service \\"odd\\"\\\\name"} 0\n');
    expect(text).toContain('fleet_host_reachable{host="web2"} 0\n');
    expect(text).toContain('fleet_check_timestamp_seconds 1795608000\n');
    expect(text).toContain('fleet_check_duration_seconds 1.234\n');
  });

  it('parses with promtool check metrics', async () => {
    const result = await new Promise<{ code: number; out: string }>((resolve) => {
      const child = execFile('promtool', ['check', 'metrics'], (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, out: stdout + stderr }));
      child.stdin!.end(text);
    });
    if (result.out.includes('ENOENT')) return;
    expect(result).toEqual({ code: 0, out: '' });
  });

  it('exit code: drift wins over unreachable hosts', () => {
    expect(driftExitCode(report)).toBe(2);
    expect(driftExitCode({ ...report, drift: [] })).toBe(4);
  });
});
