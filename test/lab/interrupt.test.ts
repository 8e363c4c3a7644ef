import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runInLabHost } from '../../src/lab/lab.ts';
import { ALLOY_STANDIN, LAB_ALLOY_VERSIONS, labArch } from '../../src/lab/mirror.ts';
import { packRelease } from '../../src/lab/release-pack.ts';
import { runLocal } from '../../src/local/run.ts';
import { runFleet, type FleetRun } from '../helpers/run-fleet.ts';
import { labUnavailable, useLabHosts, writeLabInventory } from './lab-hosts.ts';
import { useLabMirror } from './mirror.ts';

const FLEET = fileURLToPath(new URL('../../bin/fleet.js', import.meta.url));
const BIG_VERSION = '0.3.0-big';

/** Starts the real `fleet` and hands back the process, so a test can signal it mid-run. */
function startFleet(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [FLEET, ...args], { env: { ...process.env, NO_COLOR: '1', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<FleetRun & { endedAt: number }>((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, endedAt: Date.now() })));
  return { child, done, stderr: () => stderr };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, deadlineMs = 60_000): Promise<T> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    const value = await probe();
    if (value !== undefined) return value;
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(labUnavailable)('Ctrl-C during fleet apply', () => {
  const hosts = useLabHosts([
    { name: 'intr-a', index: 132 },
    { name: 'intr-b', index: 133 },
  ]);
  const mirror = useLabMirror();
  const onHost = async (index: number, command: string) => (await runInLabHost(hosts[index]!, command)).stdout;
  const inventory = (version: string) => writeLabInventory(hosts, '', { mirrorUrl: mirror.url, vars: { alloy: { version } } });
  let bigSha = '';

  /** Converges both hosts on the small version, publishes a large one and slows the link, so an upload takes seconds. */
  async function prepare(): Promise<string> {
    const { file } = await inventory(LAB_ALLOY_VERSIONS[0]);
    const first = await runFleet(['apply', file, 'alloy'], mirror.env);
    expect(first.code, first.stdout).toBe(0);
    if (!bigSha) {
      // Perl stops reading at __END__: the stand-in runs as usual, with 48 MB of padding behind it.
      const standin = (await readFile(ALLOY_STANDIN, 'utf8')).replace('@VERSION@', BIG_VERSION);
      const content = Buffer.concat([Buffer.from(`${standin}\n__END__\n`), randomBytes(48 * 1024 * 1024)]);
      await packRelease(join(mirror.root, 'grafana/alloy/releases/download', `v${BIG_VERSION}`), `alloy-linux-${labArch()}.zip`, { [`alloy-linux-${labArch()}`]: { content } }, 'SHA256SUMS');
      const { createHash } = await import('node:crypto');
      bigSha = createHash('sha256').update(content).digest('hex');
    }
    for (const host of hosts) await runLocal('tc', ['qdisc', 'replace', 'dev', `vb-${host.name}`, 'root', 'tbf', 'rate', '80mbit', 'burst', '256kb', 'latency', '400ms']);
    return (await inventory(BIG_VERSION)).file;
  }

  const uploadInProgress = async (index: number) => {
    const size = Number((await onHost(index, 'stat -c %s /tmp/.fleet-upload-alloy-* 2>/dev/null | head -1')).trim() || 0);
    return size > 0 && size < 48 * 1024 * 1024 ? size : undefined;
  };

  it('stops after the step in flight, prints the recap, exits 130, leaves no upload behind; a rerun converges and restarts', { timeout: 300_000 }, async () => {
    const file = await prepare();
    const oldSha = (await onHost(0, 'sha256sum /usr/local/bin/alloy')).split(' ')[0];
    const run = startFleet(['apply', file, 'alloy', '--forks', '1'], mirror.env);
    const bytes = await until('the upload to intr-a', () => uploadInProgress(0));
    run.child.kill('SIGINT');
    const result = await run.done;

    expect(bytes).toBeGreaterThan(0);
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toContain('fleet: SIGINT: starting nothing new; the steps in flight finish, then the recap');
    expect(result.stdout).toContain('APPLY RECAP');
    expect(result.stdout).toMatch(/intr-a\s+FAILED\s+ok=\d+\s+changed=\d+\s+[\d.]+s\s+\S.*interrupted before /);
    expect(result.stdout).toMatch(/intr-b\s+NOT ATTEMPTED/);
    expect(result.stdout).toContain('1 host(s) not attempted: the run was interrupted (SIGINT): intr-b');
    // The upload in flight was finished and installed whole (or not at all), never left half.
    const installed = (await onHost(0, 'sha256sum /usr/local/bin/alloy')).split(' ')[0];
    expect([oldSha, bigSha]).toContain(installed);
    // (alloy.fleet-previous is the rollback copy every install keeps on purpose.)
    expect(await onHost(0, 'ls -A /tmp /usr/local/bin | grep -c -e fleet-upload -e fleet-new || true')).toBe('0\n');
    if (installed === bigSha) expect(await onHost(0, 'cat /var/lib/fleet/pending/alloy')).toMatch(/^restart artifact \/usr\/local\/bin\/alloy/);
    expect((await onHost(1, 'sha256sum /usr/local/bin/alloy')).split(' ')[0]).toBe(oldSha);

    const rerun = await runFleet(['apply', file, 'alloy', '--json'], mirror.env);
    expect(rerun.code, rerun.stdout).toBe(0);
    for (const host of hosts) expect(await (await fetch(`http://${host.address}:12345/metrics`)).text()).toContain(`version="v${BIG_VERSION}"`);
    expect(await onHost(0, 'ls -A /var/lib/fleet/pending')).toBe('');
  });

  it('a second Ctrl-C ends the run at once, and a rerun still converges', { timeout: 300_000 }, async () => {
    const file = await prepare();
    const run = startFleet(['apply', file, 'alloy', '--forks', '1'], mirror.env);
    await until('the upload to intr-a', () => uploadInProgress(0));
    run.child.kill('SIGINT');
    await until('the first signal to be taken', async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return run.stderr().includes('SIGINT: starting nothing new') ? true : undefined;
    });
    const sentAt = Date.now();
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.code).toBe(130);
    expect(result.endedAt - sentAt).toBeLessThan(3000);
    // Ended at once: the upload in flight is left cut off in /tmp, until the next install of alloy.
    expect(await onHost(0, 'ls -A /tmp | grep -c fleet-upload-alloy || true')).toBe('1\n');

    const rerun = await runFleet(['apply', file, 'alloy'], mirror.env);
    expect(rerun.code, rerun.stdout).toBe(0);
    for (const host of hosts) expect(await (await fetch(`http://${host.address}:12345/metrics`)).text()).toContain(`version="v${BIG_VERSION}"`);
    // The upload cut off by the second Ctrl-C is gone too: the next install of alloy removed it.
    expect(await onHost(0, 'ls -A /tmp /usr/local/bin | grep -c -e fleet-upload -e fleet-new || true')).toBe('0\n');
  });
});
