import { describe, expect, it } from 'vitest';
import { runOnHosts } from '../../src/engine/run-hosts.ts';
import type { ResolvedHost } from '../../src/inventory/resolve.ts';
import { labKeyPath } from '../../src/lab/layout.ts';
import { waitFor } from '../helpers/wait-for.ts';
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
      become: { enabled: false, method: 'sudo', passwordPrompt: false },
      labels: {},
      vars: {},
      bootstrap: { user: 'root', passwordPrompt: false, identityFiles: [], hardenSshd: false },
      sources: {},
    }));
    let inFlight = 0;
    let mostInFlight = 0;
    let started = 0;
    const outcomes = await runOnHosts(
      inventory,
      async ({ connection }) => {
        started++;
        inFlight++;
        mostInFlight = Math.max(mostInFlight, inFlight);
        await connection.exec('true');
        // Hold the slot until a second host is in flight too (or no other host is left to start):
        // the overlap no longer depends on how fast this machine happens to be.
        await waitFor('a second host in flight', () => inFlight >= 2 || started === inventory.length, 20_000, 10);
        inFlight--;
        return { status: 'ok', result: null };
      },
      { forks: 2, emit: () => {}, openOptions: () => ({}) },
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual(Array(6).fill('ok'));
    expect(mostInFlight).toBe(2);
  });
});
