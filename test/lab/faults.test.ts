import { createHash } from 'node:crypto';
import { readFile, truncate, writeFile, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArtifactCache } from '../../src/artifacts/cache.ts';
import { Connection } from '../../src/connection/ssh.ts';
import { applyHostPlan, planHost, type HostProgram } from '../../src/engine/host-plan.ts';
import { runInLabHost } from '../../src/lab/lab.ts';
import { labKeyPath } from '../../src/lab/layout.ts';
import { labArch } from '../../src/lab/mirror.ts';
import { artifactResource } from '../../src/resources/artifact.ts';
import { labUnavailable, useLabHosts } from './lab-hosts.ts';
import { publishTool, toolScript, useToolRelease } from './tool-release.ts';

const sha256 = (content: string | Buffer) => createHash('sha256').update(content).digest('hex');
const LEFTOVERS = 'ls -A /tmp /usr/local/bin | grep -c -e fleet-upload -e fleet-new || true';

describe.skipIf(labUnavailable)('faults on lab hosts leave the host as it was, and say why', () => {
  const hosts = useLabHosts([
    { name: 'fault-a', index: 138 },
    { name: 'fault-b', index: 139 },
  ]);
  const tool = useToolRelease();
  const onHost = async (index: number, command: string) => (await runInLabHost(hosts[index]!, command)).stdout;
  const answer = (index: number) => onHost(index, 'curl -s http://127.0.0.1:9300/');

  it('a full disk at the install path: the old binary stays in service and the message says no space', { timeout: 300_000 }, async () => {
    const file = await tool.inventory([hosts[0]!]);
    expect((await tool.apply(file, { 'fault-a': '1.0.0' })).code).toBe(0);
    const before = await onHost(0, 'sha256sum /usr/local/bin/fleet-test-tool');
    // A tiny tmpfs over the install folder, holding the installed binary and filled to the last block.
    await onHost(0, 'cp /usr/local/bin/fleet-test-tool /root/t && mount -t tmpfs -o size=64k tmpfs /usr/local/bin && cp /root/t /usr/local/bin/fleet-test-tool && { dd if=/dev/zero of=/usr/local/bin/.fill bs=1k 2>/dev/null || true; }');
    try {
      const full = await tool.apply(file, { 'fault-a': '2.0.0' });
      expect(full.code).toBe(2);
      expect(full.report.hosts[0]!.error!.message).toMatch(/install \/usr\/local\/bin\/fleet-test-tool: exit code 1: [\s\S]*No space left on device[\s\S]*\/usr\/local\/bin\/fleet-test-tool was not changed/);
      expect(await onHost(0, 'sha256sum /usr/local/bin/fleet-test-tool')).toBe(before);
      expect(await answer(0)).toBe('tool 1.0.0\n');
      expect(await onHost(0, LEFTOVERS)).toBe('0\n');
    } finally {
      await onHost(0, 'umount /usr/local/bin');
    }
    const freed = await tool.apply(file, { 'fault-a': '2.0.0' });
    expect(freed.code, JSON.stringify(freed.report.hosts[0]!.error)).toBe(0);
    expect(await answer(0)).toBe('tool 2.0.0\n');
  });

  it('a truncated or corrupted download is never installed; expected and actual sha256 are shown', { timeout: 300_000 }, async () => {
    const file = await tool.inventory([hosts[1]!]);
    expect((await tool.apply(file, { 'fault-b': '1.0.0' })).code).toBe(0);
    const before = await onHost(1, 'sha256sum /usr/local/bin/fleet-test-tool');
    const archive = (release: string) => join(tool.state.root, 'tool', `v${release}`, `tool-${release}.linux-${labArch()}.tar.gz`);

    // Truncated in transit (the mirror serves half of it), fetched by the controller.
    const published = await publishTool(tool.state.root, '3.0.0', toolScript('3.0.0'));
    const whole = await readFile(archive('3.0.0'));
    await truncate(archive('3.0.0'), Math.floor(whole.length / 2));
    const truncated = await tool.apply(file, { 'fault-b': '3.0.0' });
    expect(truncated.code).toBe(2);
    expect(truncated.report.hosts[0]!.error!.message).toContain(`expected ${published}, downloaded ${sha256(whole.subarray(0, Math.floor(whole.length / 2)))}; refusing to install it`);

    // Corrupted (one byte flipped), downloaded by the host itself.
    const published4 = await publishTool(tool.state.root, '4.0.0', toolScript('4.0.0'));
    const corrupted = await readFile(archive('4.0.0'));
    corrupted[corrupted.length - 30] = corrupted[corrupted.length - 30]! ^ 0xff;
    await writeFile(archive('4.0.0'), corrupted);
    const onHostFetch = await tool.apply(file, { 'fault-b': '4.0.0' }, '-e', 'artifacts.fetch=host');
    expect(onHostFetch.code).toBe(2);
    expect(onHostFetch.report.hosts[0]!.error!.message).toContain(`expected ${published4}, downloaded ${sha256(corrupted)}; refusing to install it`);

    expect(await onHost(1, 'sha256sum /usr/local/bin/fleet-test-tool')).toBe(before);
    expect(await answer(1)).toBe('tool 1.0.0\n');
    expect(await onHost(1, LEFTOVERS)).toBe('0\n');
  });

  it('a destination that is a directory, or a symlink to one, is refused and nothing is left behind', { timeout: 300_000 }, async () => {
    const file = await tool.inventory([hosts[1]!]);
    await onHost(1, 'systemctl stop fleet-test-tool; rm -f /usr/local/bin/fleet-test-tool* && mkdir /usr/local/bin/fleet-test-tool');
    const check = await tool.apply(file, { 'fault-b': '1.0.0' }, '--check');
    expect(check.report.hosts[0]!.error!.message).toBe('/usr/local/bin/fleet-test-tool is a directory; refusing to put a file there (remove it, or choose another path)');
    const directory = await tool.apply(file, { 'fault-b': '1.0.0' });
    expect(directory.code).toBe(2);
    expect(directory.report.hosts[0]!.error!.message).toBe('/usr/local/bin/fleet-test-tool is a directory; refusing to put a file there (remove it, or choose another path)');
    expect(await onHost(1, 'ls -A /usr/local/bin/fleet-test-tool')).toBe('');

    await onHost(1, 'rmdir /usr/local/bin/fleet-test-tool && mkdir -p /srv/tooldir && ln -s /srv/tooldir /usr/local/bin/fleet-test-tool');
    const symlink = await tool.apply(file, { 'fault-b': '1.0.0' });
    expect(symlink.code).toBe(2);
    expect(symlink.report.hosts[0]!.error!.message).toBe('/usr/local/bin/fleet-test-tool is a symbolic link to a directory; refusing to put a file there (remove it, or choose another path)');
    expect(await onHost(1, `ls -A /srv/tooldir; readlink /usr/local/bin/fleet-test-tool; ${LEFTOVERS}`)).toBe('/srv/tooldir\n0\n');

    await onHost(1, 'rm /usr/local/bin/fleet-test-tool');
    expect((await tool.apply(file, { 'fault-b': '1.0.0' })).code).toBe(0);
    expect(await answer(1)).toBe('tool 1.0.0\n');
  });

  it('a cached unpacked binary changed on the controller is hashed again and never pushed as it is', { timeout: 300_000 }, async () => {
    const file = await tool.inventory(hosts);
    expect((await tool.apply(file, { 'fault-a': '2.0.0', 'fault-b': '1.0.0' })).code).toBe(0);
    // Between runs: the cache's unpacked 2.0.0 is replaced; the next run unpacks it again from the verified archive.
    const member = `tool-2.0.0.linux-${labArch()}/tool`;
    let tampered = 0;
    for (const dir of await readdir(tool.state.cacheDir)) {
      const path = join(tool.state.cacheDir, dir, 'unpacked', member);
      if (await readFile(path).then(() => true, () => false)) {
        await writeFile(path, '#!/bin/sh\necho tampered\n');
        tampered++;
      }
    }
    expect(tampered).toBe(1);
    const run = await tool.apply(file, { 'fault-a': '2.0.0', 'fault-b': '2.0.0' });
    expect(run.code, JSON.stringify(run.report.hosts.map((host) => host.error))).toBe(0);
    expect(await onHost(1, 'sha256sum /usr/local/bin/fleet-test-tool')).toBe(`${sha256(toolScript('2.0.0'))}  /usr/local/bin/fleet-test-tool\n`);

    // During a run (after the plan hashed it, before the push): the host compares what arrived and refuses it.
    const cache = new ArtifactCache(await mkdtemp(join(tmpdir(), 'fleet-cache-')));
    const url = `${tool.state.mirrorUrl}/tool/v1.0.0/tool-1.0.0.linux-{arch}.tar.gz`;
    const resource = artifactResource({ name: 'tool', url, checksumsUrl: `${tool.state.mirrorUrl}/tool/v1.0.0/sha256sums.txt`, member: 'tool-1.0.0.linux-{arch}/tool', dest: '/usr/local/bin/fleet-test-tool-copy', fetch: 'controller' }, cache);
    const program: HostProgram = { resources: [{ resource }], checks: [] };
    const connection = await Connection.open({ host: hosts[1]!.address, port: 22, user: 'root', identityFiles: [labKeyPath()], connectTimeoutMs: 5000, hostKeyChecking: 'off', knownHostsFile: '/dev/null' });
    try {
      const plan = await planHost(connection, program, { diff: false });
      expect(plan.changes[0]!.action).toBe('create');
      const concreteUrl = url.replace('{arch}', labArch());
      const archiveSha = (await cache.checksums(`${tool.state.mirrorUrl}/tool/v1.0.0/sha256sums.txt`)).get(`tool-1.0.0.linux-${labArch()}.tar.gz`)!;
      const cached = await cache.binary(concreteUrl, archiveSha, `tool-1.0.0.linux-${labArch()}/tool`);
      await writeFile(cached.path, '#!/bin/sh\necho tampered\n');
      await expect(applyHostPlan(connection, program, plan, () => {})).rejects.toThrow(
        new RegExp(`the uploaded tool binary has sha256 ${sha256('#!/bin/sh\necho tampered\n')}, expected ${cached.sha256} \\(the controller's cached copy changed, or the upload was cut short\\); nothing was installed`),
      );
    } finally {
      connection.close();
    }
    expect(await onHost(1, `test -e /usr/local/bin/fleet-test-tool-copy && echo installed || echo absent; ${LEFTOVERS}`)).toBe('absent\n0\n');
  });
});
