import { describe, expect, it } from 'vitest';
import { runFleet } from '../../helpers/run-fleet.ts';

describe('--shard', () => {
  it('splits the selected hosts between shards, together covering each exactly once', async () => {
    const all = JSON.parse((await runFleet(['inventory', 'inventory.example.yaml', '--json'])).stdout) as { hosts: { name: string }[] };
    const parts = await Promise.all([0, 1, 2].map(async (index) => {
      const result = await runFleet(['inventory', 'inventory.example.yaml', '--json', '--shard', `${index}/3`]);
      expect(result.code).toBe(0);
      return (JSON.parse(result.stdout) as { hosts: { name: string }[] }).hosts.map((host) => host.name);
    }));
    expect(parts.flat().sort()).toEqual(all.hosts.map((host) => host.name).sort());
  });

  it('is a usage error (exit 1) when K/N is not a shard', async () => {
    const result = await runFleet(['ping', 'inventory.example.yaml', '--shard', '3/3']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--shard 3/3: expected K/N with whole numbers 0 <= K < N');
    const help = await runFleet(['apply', '--help']);
    expect(help.stdout).toContain('--shard <K/N>');
  });
});
