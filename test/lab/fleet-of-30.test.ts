import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInLabHost } from '../../src/lab/lab.ts';
import { runLocal } from '../../src/local/run.ts';
import { FREEZE_FIRST_SESSION } from './freeze-session.ts';
import { labUnavailable, useLabHosts } from './lab-hosts.ts';
import { BROKEN_VERSION, publishTool, toolScript, useToolRelease } from './tool-release.ts';

// Long enough for a healthy host on a loaded 2-core machine, shorter than keepalive's verdict (3 x 15 s).
const HOST_TIMEOUT_S = 40;
const BIG_VERSION = '5.0.0-big';

/** Waits in the host until an upload is partly written, then kills every SSH session (not the listener). */
const KILL_SESSIONS_MID_UPLOAD = `
end=$(( $(date +%s) + 120 ))
while [ "$(date +%s)" -lt "$end" ]; do
  size=$(stat -c %s /tmp/.fleet-upload-tool-* 2>/dev/null | head -1)
  if [ -n "$size" ] && [ "$size" -gt 0 ]; then
    kill -KILL $(ps -o pid= --ppid "$(cat /run/sshd.pid)"); echo "$size"; exit 0
  fi
  sleep 0.02
done
echo "no upload appeared" >&2
exit 1
`;

describe.skipIf(labUnavailable)('30 hosts, 5 of them faulty in 5 different ways', () => {
  const specs = Array.from({ length: 30 }, (_, index) => ({ name: `f30-${String(index).padStart(2, '0')}`, index: 200 + index }));
  // Booted in three waves of ten: thirty at once do not all come up within the lab's boot wait on a busy machine.
  const waves = [0, 10, 20].map((start) => useLabHosts(specs.slice(start, start + 10)));
  const hosts: ReturnType<typeof useLabHosts> = [];
  const tool = useToolRelease();
  const [stalled, killed, diskFull, broken, wrongKey] = [0, 1, 2, 3, 4];

  it('ends on time with 25 converged and the 5 reported with their causes; the next apply converges the recoverable ones', { timeout: 600_000 }, async () => {
    hosts.push(...waves.flat());
    const file = await tool.inventory(hosts);
    await writeFile(file, (await readFile(file, 'utf8')).replace('    connect_timeout: 5\n', `    connect_timeout: 5\n    host_timeout: ${HOST_TIMEOUT_S}\n`));
    const name = (index: number) => hosts[index]!.name;
    const versions = Object.fromEntries(hosts.map((host) => [host.name, '1.0.0']));

    // The broken host first runs a good version, so its failed upgrade has something to roll back to.
    expect((await tool.apply(file, { [name(broken)]: '1.0.0' }, '--limit', name(broken))).code).toBe(0);
    versions[name(broken)] = BROKEN_VERSION;
    // The killed host gets a large release over a slowed link, so its upload is seen in progress.
    await publishTool(tool.state.root, BIG_VERSION, Buffer.concat([Buffer.from(`${toolScript(BIG_VERSION)}\n__END__\n`), randomBytes(32 * 1024 * 1024)]));
    versions[name(killed)] = BIG_VERSION;
    await runLocal('tc', ['qdisc', 'replace', 'dev', `vb-${name(killed)}`, 'root', 'tbf', 'rate', '80mbit', 'burst', '256kb', 'latency', '400ms']);
    // A full install folder.
    await runInLabHost(hosts[diskFull]!, 'mount -t tmpfs -o size=16k tmpfs /usr/local/bin && { dd if=/dev/zero of=/usr/local/bin/.fill bs=1k 2>/dev/null || true; }');
    // known_hosts pins other keys (every type) for one host's address.
    const keys = await mkdtemp(join(tmpdir(), 'fleet-wrong-keys-'));
    for (const type of ['ed25519', 'ecdsa', 'rsa']) {
      const key = execFileSync('sh', ['-c', `ssh-keygen -q -t ${type} -N '' -f ${join(keys, type)} && cat ${join(keys, type)}.pub`], { encoding: 'utf8' }).trim().split(' ').slice(0, 2).join(' ');
      await appendFile(join(file, '..', 'known_hosts'), `${hosts[wrongKey]!.address} ${key}\n`);
    }

    const frozen = runInLabHost(hosts[stalled]!, FREEZE_FIRST_SESSION);
    const cut = runInLabHost(hosts[killed]!, KILL_SESSIONS_MID_UPLOAD);
    const started = Date.now();
    const first = await tool.apply(file, versions, '--forks', '15');
    const elapsed = Date.now() - started;
    const [frozenPids, cutAt] = await Promise.all([frozen, cut]);
    expect(frozenPids.code, frozenPids.stderr).toBe(0);
    expect(cutAt.code, cutAt.stderr).toBe(0);
    try {
      const byName = Object.fromEntries(first.report.hosts.map((host) => [host.host, host]));
      const faulty = [stalled, killed, diskFull, broken, wrongKey].map(name);
      const healthy = hosts.map((host) => host.name).filter((host) => !faulty.includes(host));
      expect(healthy.filter((host) => byName[host]!.status !== 'changed'), JSON.stringify(healthy.map((host) => byName[host]!.error).filter(Boolean))).toEqual([]);
      // Given up at its deadline (or, on a slow day, by keepalive a little later): reported, never waited for.
      expect(byName[name(stalled)]!.status).toBe('failed');
      expect(byName[name(stalled)]!.error!.message).toMatch(new RegExp(`host did not finish within ${HOST_TIMEOUT_S}s \\(ssh.host_timeout\\)|no answer to keepalives`));
      expect(byName[name(killed)]!.status).toBe('failed');
      expect(byName[name(killed)]!.error!.message).toMatch(/closed during the upload of \/tmp\/\.fleet-upload-tool-|connection|session/i);
      expect(byName[name(diskFull)]!.status).toBe('failed');
      expect(byName[name(diskFull)]!.error!.message).toContain('No space left on device');
      expect(byName[name(broken)]!.status).toBe('failed');
      expect(byName[name(broken)]!.error!.message).toMatch(/this build crashes at start[\s\S]*rolled back artifact \/usr\/local\/bin\/fleet-test-tool: the previous binary is back and fleet-test-tool runs again/);
      expect(byName[name(wrongKey)]).toMatchObject({ status: 'unreachable', error: { kind: 'host-key' } });
      expect(byName[name(wrongKey)]!.error!.message).toContain('has CHANGED');
      // On time: the stalled host is given up at its deadline, nothing else waits for it.
      expect(byName[name(stalled)]!.durationMs).toBeLessThan(65_000);
      expect(elapsed).toBeLessThan((HOST_TIMEOUT_S + 120) * 1000);
      expect(first.code).toBe(2);
      for (const index of [5, 17, 29]) expect((await runInLabHost(hosts[index]!, 'curl -s http://127.0.0.1:9300/')).stdout).toBe('tool 1.0.0\n');
      expect((await runInLabHost(hosts[broken]!, 'curl -s http://127.0.0.1:9300/')).stdout).toBe('tool 1.0.0\n');
    } finally {
      await runInLabHost(hosts[stalled]!, `kill -CONT ${frozenPids.stdout.trim()}`);
    }

    // The recoverable ones converge on the next apply; the full disk, the broken release and the changed key still need an operator.
    const second = await tool.apply(file, versions, '--forks', '15');
    const after = Object.fromEntries(second.report.hosts.map((host) => [host.host, host.status]));
    expect(after[name(stalled)]).toBe('changed');
    expect(after[name(killed)]).toBe('changed');
    expect([after[name(diskFull)], after[name(broken)], after[name(wrongKey)]]).toEqual(['failed', 'failed', 'unreachable']);
    const unsettled = second.report.hosts.filter((host) => host.status !== 'ok' && ![stalled, killed, diskFull, broken, wrongKey].map(name).includes(host.host));
    expect(unsettled.map((host) => `${host.host} ${host.status} ${host.error?.message ?? JSON.stringify(host.result?.changes.filter((change) => change.action !== 'same'))}`)).toEqual([]);
    expect((await runInLabHost(hosts[killed]!, 'curl -s http://127.0.0.1:9300/; ls -A /tmp | grep -c fleet-upload || true')).stdout).toBe(`tool ${BIG_VERSION}\n0\n`);
  });
});
