import { describe, expect, it } from 'vitest';
import { runInLabHost } from '../../src/lab/lab.ts';
import { runFleet } from '../helpers/run-fleet.ts';
import { labUnavailable, useLabHosts } from './lab-hosts.ts';
import { BROKEN_VERSION, useToolRelease } from './tool-release.ts';

describe.skipIf(labUnavailable)('rolling changes: --serial and --max-fail-percent', () => {
  const hosts = useLabHosts([
    { name: 'roll-a', index: 134 },
    { name: 'roll-b', index: 135 },
    { name: 'roll-c', index: 136 },
    { name: 'roll-d', index: 137 },
  ]);
  const tool = useToolRelease();
  const all = (release: string) => Object.fromEntries(hosts.map((host) => [host.name, release]));
  const running = async () => Promise.all(hosts.map(async (host) => (await runInLabHost(host, 'curl -s http://127.0.0.1:9300/')).stdout.trim()));

  it('a broken release stops at the first batch; the rest keep the old version and are reported as not attempted', { timeout: 300_000 }, async () => {
    const file = await tool.inventory(hosts);
    expect((await tool.apply(file, all('1.0.0'))).code).toBe(0);

    const run = await tool.apply(file, all(BROKEN_VERSION), '--serial', '2', '--max-fail-percent', '0');
    expect(run.code).toBe(2);
    expect(run.report.hosts.map((host) => host.status)).toEqual(['failed', 'failed', 'not-attempted', 'not-attempted']);
    expect(run.report.notAttempted).toEqual(['roll-c', 'roll-d']);
    expect(run.report.hosts[2]!.error!.message).toBe('not attempted: 2 of 2 hosts of the previous batch failed (100%, above --max-fail-percent 0)');
    // The failed batch was rolled back; the hosts never attempted were never touched.
    expect(await running()).toEqual(['tool 1.0.0', 'tool 1.0.0', 'tool 1.0.0', 'tool 1.0.0']);

    const text = await tool.apply(file, all(BROKEN_VERSION), '--serial', '50%');
    expect(text.report.notAttempted).toEqual(['roll-c', 'roll-d']);
    expect(text.report.hosts[2]!.error!.message).toBe('not attempted: every host of the previous batch failed (2 of 2)');
  });

  it('stops only when a batch is strictly above the limit', { timeout: 300_000 }, async () => {
    const file = await tool.inventory(hosts);
    // One broken host in the first batch of two: 50% failed.
    const versions = { ...all('2.0.0'), 'roll-a': BROKEN_VERSION };
    const atLimit = await tool.apply(file, versions, '--serial', '2', '--max-fail-percent', '50');
    expect(atLimit.report.hosts.map((host) => host.status)).toEqual(['failed', 'changed', 'changed', 'changed']);
    expect(atLimit.report.notAttempted).toEqual([]);

    const above = await tool.apply(file, { ...all('1.0.0'), 'roll-a': BROKEN_VERSION }, '--serial', '2', '--max-fail-percent', '49');
    expect(above.code).toBe(2);
    expect(above.report.hosts.map((host) => host.status)).toEqual(['failed', 'changed', 'not-attempted', 'not-attempted']);
    expect(await running()).toEqual(['tool 1.0.0', 'tool 1.0.0', 'tool 2.0.0', 'tool 2.0.0']);
  });

  it('the recap names the hosts not attempted and why', { timeout: 300_000 }, async () => {
    const file = await tool.inventory(hosts);
    const args = Object.entries(all(BROKEN_VERSION)).flatMap(([host, release]) => ['-e', `versions.${host}=${release}`]);
    const run = await runFleet(['apply', file, 'tool', ...args, '--serial', '1'], { FLEET_CACHE_DIR: tool.state.cacheDir });
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/roll-b\s+NOT ATTEMPTED\s+ok=0\s+changed=0\s+0\.0s\s+not attempted: every host of the previous batch failed \(1 of 1\)/);
    expect(run.stdout).toContain('3 host(s) not attempted: every host of the previous batch failed (1 of 1): roll-b, roll-c, roll-d');
  });
});
