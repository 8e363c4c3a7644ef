import { describe, expect, it } from 'vitest';
import { shardMetricsFile } from '../../../src/drift/shard-metrics-file.ts';
import { targetFileGlob, targetFileName } from '../../../src/register/shard-files.ts';
import { FLEET_JOBS } from '../../../src/register/targets.ts';
import { globToRegExp } from '../../../src/glob.ts';

describe('shard target files', () => {
  it('names each shard its own file, which the job glob in prometheus.yml also matches', () => {
    const [node, alloy] = FLEET_JOBS;
    expect(targetFileName(node!, undefined)).toBe('fleet-node.json');
    expect(targetFileName(node!, { index: 2, count: 4 })).toBe('fleet-node.shard-2-of-4.json');
    expect(targetFileName(alloy!, { index: 0, count: 2 })).toBe('fleet-alloy.shard-0-of-2.json');
    const nodeGlob = globToRegExp(targetFileGlob(node!));
    expect(nodeGlob.test('fleet-node.json')).toBe(true);
    expect(nodeGlob.test('fleet-node.shard-2-of-4.json')).toBe(true);
    expect(nodeGlob.test('fleet-alloy.shard-0-of-2.json')).toBe(false);
    expect(nodeGlob.test('fleet-node.password')).toBe(false);
  });

  it('names the drift metrics file by shard, keeping the .prom extension the textfile collector reads', () => {
    expect(shardMetricsFile('/var/lib/node_exporter/textfile_collector/fleet.prom', undefined)).toBe('/var/lib/node_exporter/textfile_collector/fleet.prom');
    expect(shardMetricsFile('/var/lib/node_exporter/textfile_collector/fleet.prom', { index: 1, count: 3 })).toBe('/var/lib/node_exporter/textfile_collector/fleet.shard-1-of-3.prom');
  });
});
