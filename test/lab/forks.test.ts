import { describe, expect, it } from 'vitest';
import { runOnHosts } from '../../src/engine/run-hosts.ts';
import type { ResolvedHost } from '../../src/inventory/resolve.ts';
import { labKeyPath } from '../../src/lab/layout.ts';
import { labUnavailable, useLabHosts } from './lab-hosts.ts';

describe.skipIf(labUnavailable)('runOnHosts', () => {
  const hosts = useLabHosts([{ name: 'forks-a', index: 103 }]);

  it('works on at most --forks hosts at once', async () => {
    // Six inventory hosts on one lab machine: each task holds its session for a moment.
    const inventory: ResolvedHost[] = Array.from({ length: 6 }, (_, i) => ({
      name: `f${i}`,
      address: hosts[0]!.address,
      groups: [],
      ssh: { host: hosts[0]!.address, port: 22, user: 'root', identityFiles: [labKeyPath()], connectTimeoutMs: 5000, hostKeyChecking: 'off', knownHostsFile: '/dev/null' },
      become: { enabled: false, passwordPrompt: false },
      labels: {},
      vars: {},
      bootstrap: { user: 'root', passwordPrompt: false, identityFiles: [], hardenSshd: false },
      sources: {},
    }));
    let inFlight = 0;
    let mostInFlight = 0;
    const outcomes = await runOnHosts(
      inventory,
      async ({ connection }) => {
        inFlight++;
        mostInFlight = Math.max(mostInFlight, inFlight);
        await connection.exec('sleep 0.3');
        inFlight--;
        return { status: 'ok', result: null };
      },
      { forks: 2, emit: () => {}, openOptions: () => ({}) },
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual(Array(6).fill('ok'));
    expect(mostInFlight).toBe(2);
  });
});
