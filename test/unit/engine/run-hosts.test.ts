import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Connection } from '../../../src/connection/ssh.ts';
import { CONNECT_CONCURRENCY, runOnHosts } from '../../../src/engine/run-hosts.ts';
import type { ResolvedHost } from '../../../src/inventory/resolve.ts';

// Pure scheduling: the connections are stand-ins (test/lab/forks.test.ts runs real sessions).
describe('runOnHosts scheduling', () => {
  it('runs --forks sessions at once but lets at most CONNECT_CONCURRENCY of them connect at a time', async () => {
    const hosts = Array.from({ length: 80 }, (_, i) => ({ name: `h${i}` }) as ResolvedHost);
    let connecting = 0;
    let mostConnecting = 0;
    let working = 0;
    let mostWorking = 0;
    const outcomes = await runOnHosts(
      hosts,
      async ({ connection }) => {
        working++;
        mostWorking = Math.max(mostWorking, working);
        await sleep(30);
        working--;
        return { status: 'ok', result: connection.usage.commands };
      },
      {
        forks: 60,
        emit: () => {},
        openOptions: () => ({}),
        connect: async () => {
          connecting++;
          mostConnecting = Math.max(mostConnecting, connecting);
          await sleep(10);
          connecting--;
          return { usage: { commands: 0, uploadedBytes: 0 }, close() {} } as unknown as Connection;
        },
      },
    );
    expect(outcomes.every((outcome) => outcome.status === 'ok' && outcome.connection?.commands === 0)).toBe(true);
    expect(mostConnecting).toBe(CONNECT_CONCURRENCY);
    expect(mostWorking).toBeGreaterThan(CONNECT_CONCURRENCY);
    expect(mostWorking).toBeLessThanOrEqual(60);
  });
});
