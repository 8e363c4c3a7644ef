import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HostError } from '../../src/connection/errors.ts';
import { Connection, type OpenOptions } from '../../src/connection/ssh.ts';
import { runInLabHost } from '../../src/lab/lab.ts';
import { labKeyPath } from '../../src/lab/layout.ts';
import { runFleet } from '../helpers/run-fleet.ts';
import { FREEZE_FIRST_SESSION } from './freeze-session.ts';
import { labUnavailable, useLabHosts, writeLabInventory } from './lab-hosts.ts';

const PLAYBOOK = `tasks:
  - directory: { path: /etc/demo, mode: "0750" }
  - file: { path: "/etc/demo/{{host.name}}.txt", content: "static\\n", mode: "0640" }
`;

interface Report {
  hosts: { host: string; status: string; durationMs: number; error?: { kind: string; step: string; message: string } }[];
}


describe.skipIf(labUnavailable)('a host that stalls mid-run', () => {
  const hosts = useLabHosts([
    { name: 'stuck-a', index: 143 },
    { name: 'stuck-b', index: 144 },
    { name: 'stuck-c', index: 145 },
  ]);

  it('ends the run at the per-host deadline with that host reported as timed out; the others converge; a rerun converges it', async () => {
    const hostTimeoutS = 20;
    const { dir, file } = await writeLabInventory(hosts);
    await writeFile(file, (await readFile(file, 'utf8')).replace('    connect_timeout: 5\n', `    connect_timeout: 5\n    host_timeout: ${hostTimeoutS}\n`));
    await mkdir(join(dir, 'playbooks'));
    await writeFile(join(dir, 'playbooks', 'demo.yaml'), PLAYBOOK);

    const frozen = runInLabHost(hosts[2]!, FREEZE_FIRST_SESSION);
    const started = Date.now();
    const run = await runFleet(['apply', file, 'demo', '--json']);
    const elapsed = Date.now() - started;
    const stopped = await frozen;
    expect(stopped.code, stopped.stderr).toBe(0);
    try {
      const report = JSON.parse(run.stdout) as Report;
      const byName = Object.fromEntries(report.hosts.map((host) => [host.host, host]));
      expect(byName['stuck-a']!.status).toBe('changed');
      expect(byName['stuck-b']!.status).toBe('changed');
      const stuck = byName['stuck-c']!;
      expect(stuck.status).toBe('failed');
      expect(stuck.error!.kind).toBe('timeout');
      expect(stuck.error!.message).toMatch(new RegExp(`^host did not finish within ${hostTimeoutS}s \\(ssh.host_timeout\\) and was abandoned at step "[^"]+"; fleet cut its connection$`));
      expect(stuck.durationMs).toBeGreaterThanOrEqual(hostTimeoutS * 1000);
      expect(stuck.durationMs).toBeLessThan((hostTimeoutS + 5) * 1000);
      // The whole run, process exit included, ends on time: nothing waits for the frozen session.
      expect(elapsed).toBeLessThan((hostTimeoutS + 15) * 1000);
      expect(run.code).toBe(2);
    } finally {
      await runInLabHost(hosts[2]!, `kill -CONT ${stopped.stdout.trim()}`);
    }
    const again = await runFleet(['apply', file, 'demo', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as Report).hosts.find((host) => host.host === 'stuck-c')!.status).toMatch(/^(ok|changed)$/);
  });

  const open = (liveness: OpenOptions['liveness']) =>
    Connection.open({ host: hosts[0]!.address, port: 22, user: 'root', identityFiles: [labKeyPath()], connectTimeoutMs: 5000, hostKeyChecking: 'off', knownHostsFile: '/dev/null' }, { liveness });
  const failureWithin = async (promise: Promise<unknown>) => {
    const started = Date.now();
    const error = await promise.then(
      () => new Error('expected a failure') as HostError,
      (failure: HostError) => failure,
    );
    return { error, ms: Date.now() - started };
  };

  it('an upload to a frozen session fails once it makes no progress, instead of hanging', async () => {
    const local = join(await mkdtemp(join(tmpdir(), 'fleet-stall-')), 'big.bin');
    await writeFile(local, Buffer.alloc(128 * 1024 * 1024));
    const connection = await open({ uploadStallMs: 2000 });
    const frozen = runInLabHost(hosts[0]!, FREEZE_FIRST_SESSION);
    try {
      const upload = connection.uploadFile(local, '/tmp/big.bin');
      const stopped = await frozen;
      expect(stopped.code, stopped.stderr).toBe(0);
      const { error, ms } = await failureWithin(upload);
      expect(error.kind).toBe('timeout');
      expect(error.message).toMatch(/the upload of \/tmp\/big\.bin made no progress for 2s$/);
      expect(ms).toBeLessThan(10_000);
    } finally {
      connection.abandon();
      await runInLabHost(hosts[0]!, `kill -CONT ${(await frozen).stdout.trim()}`);
    }
  });

  it('keepalives notice a frozen session while a command waits, and the step fails as a lost session', async () => {
    const connection = await open({ keepaliveIntervalMs: 500, keepaliveCountMax: 2 });
    const frozen = runInLabHost(hosts[0]!, FREEZE_FIRST_SESSION);
    try {
      const command = connection.exec('sleep 30; echo done', { timeoutMs: 60_000 });
      const stopped = await frozen;
      expect(stopped.code, stopped.stderr).toBe(0);
      const { error, ms } = await failureWithin(command);
      expect(error.kind).toBe('unreachable');
      expect(error.message).toBe(`the SSH session to ${hosts[0]!.address} was lost while a command ran (no answer to keepalives, or the connection was cut): sleep 30; echo done`);
      expect(ms).toBeLessThan(10_000);
    } finally {
      connection.close();
      await runInLabHost(hosts[0]!, `kill -CONT ${(await frozen).stdout.trim()}`);
    }
  });
});
