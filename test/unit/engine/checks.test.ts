import { describe, expect, it } from 'vitest';
import type { Connection } from '../../../src/connection/ssh.ts';
import { runChecks, type HostProgram } from '../../../src/engine/host-plan.ts';
import { httpCheck } from '../../../src/resources/http-check.ts';
import { factsFrom } from '../../helpers/facts.ts';
import { fakeHost } from '../../helpers/fake-host.ts';

const program = (urls: string[]): HostProgram => ({ resources: [], checks: urls.map((url) => ({ check: httpCheck({ url, from: 'host', status: 200, body: 'ok', timeoutSeconds: 1 }) })) });

describe('endpoint checks on a host', () => {
  it('a converged host answers all its checks in one round trip', async () => {
    const urls = ['http://127.0.0.1:9100/metrics', 'http://127.0.0.1:12345/-/ready', 'http://127.0.0.1:12345/-/healthy'];
    const { connection, commands } = fakeHost({ http: Object.fromEntries(urls.map((url) => [url, [200, 'ok']])) });
    const results = await runChecks(connection, program(urls), factsFrom({}), { once: false }, () => {});
    expect(commands).toHaveLength(1);
    expect(results.map((result) => result.action)).toEqual(['same', 'same', 'same']);
  });

  it('only a check not yet satisfied is retried on its own, and its failure is reported in order', async () => {
    const { connection, commands } = fakeHost({ http: { 'http://127.0.0.1:9100/metrics': [200, 'ok'], 'http://127.0.0.1:12345/-/ready': [503, 'not ready'] } });
    const results = await runChecks(connection, program(['http://127.0.0.1:9100/metrics', 'http://127.0.0.1:12345/-/ready']), factsFrom({}), { once: true }, () => {});
    expect(commands).toHaveLength(2);
    expect(results.map((result) => `${result.action} ${result.reason}`)).toEqual(['same HTTP 200, body matches (attempt 1)', 'update not as expected: HTTP 503, expected 200: not ready']);
  });
});

describe('a body cannot forge the status of a check', () => {
  it('a failed request whose output imitates the status marker is not taken as HTTP 200', async () => {
    // As when wget fails after printing a body: no real marker follows, only what the body says.
    const forged = 'ok\n__fleet_http_status__200';
    const answer = (command: string) => {
      const part = /printf '\\n(__fleet_part_\w+_)%d\\n' (\d+);/.exec(command);
      return part ? `\n${part[1]}${part[2]}\n${forged}` : forged;
    };
    const connection = { exec: async (command: string) => ({ code: 0, stdout: answer(command), stderr: 'wget: server returned error: HTTP/1.1 500' }) } as unknown as Connection;
    const [result] = await runChecks(connection, program(['http://127.0.0.1:9100/metrics']), factsFrom({}), { once: true }, () => {});
    expect(result!.action).toBe('update');
    expect(result!.reason).not.toContain('HTTP 200');
  });
});
