import { describe, expect, it } from 'vitest';
import type { Connection } from '../../../src/connection/ssh.ts';
import { runChecks, type HostProgram } from '../../../src/engine/host-plan.ts';
import { httpCheck } from '../../../src/resources/http-check.ts';
import { factsFrom } from '../../helpers/facts.ts';

/** Stands in for an SSH session: answers each URL's curl with a canned status and body, and counts round trips. */
function fakeHost(answers: Record<string, [number, string]>) {
  const commands: string[] = [];
  const answer = (command: string) => {
    const url = Object.keys(answers).find((candidate) => command.includes(`${candidate} `) || command.includes(`${candidate};`));
    const [status, body] = url ? answers[url]! : [0, ''];
    const mark = /__fleet_http_status_\w+__/.exec(command)?.[0] ?? 'no-mark';
    return `${body}\n${mark}${status}`;
  };
  const connection = {
    async exec(command: string) {
      commands.push(command);
      // The one-round-trip form: `printf '\nMARKn\n' n; ( curl ... ) 2>&1` per check (a command may span lines).
      const batched = [...command.matchAll(/printf '\\n(__fleet_part_\w+_)%d\\n' (\d+); \( ([\s\S]*?) \) 2>&1/g)];
      const stdout = batched.length ? batched.map((part) => `\n${part[1]}${part[2]}\n${answer(part[3]!)}`).join('') : answer(command);
      return { code: 0, stdout, stderr: '' };
    },
  } as unknown as Connection;
  return { connection, commands };
}

const program = (urls: string[]): HostProgram => ({ resources: [], checks: urls.map((url) => ({ check: httpCheck({ url, from: 'host', status: 200, body: 'ok', timeoutSeconds: 1 }) })) });

describe('endpoint checks on a host', () => {
  it('a converged host answers all its checks in one round trip', async () => {
    const urls = ['http://127.0.0.1:9100/metrics', 'http://127.0.0.1:12345/-/ready', 'http://127.0.0.1:12345/-/healthy'];
    const { connection, commands } = fakeHost(Object.fromEntries(urls.map((url) => [url, [200, 'ok']])));
    const results = await runChecks(connection, program(urls), factsFrom({}), { once: false }, () => {});
    expect(commands).toHaveLength(1);
    expect(results.map((result) => result.action)).toEqual(['same', 'same', 'same']);
  });

  it('only a check not yet satisfied is retried on its own, and its failure is reported in order', async () => {
    const { connection, commands } = fakeHost({ 'http://127.0.0.1:9100/metrics': [200, 'ok'], 'http://127.0.0.1:12345/-/ready': [503, 'not ready'] });
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
