import { describe, expect, it } from 'vitest';
import { convergeHost, type HostProgram } from '../../../src/engine/host-plan.ts';
import { commandResource } from '../../../src/resources/command.ts';
import { fileResource } from '../../../src/resources/file.ts';
import { httpCheck } from '../../../src/resources/http-check.ts';
import { packageResource } from '../../../src/resources/package.ts';
import { serviceResource } from '../../../src/resources/service.ts';
import { fakeHost } from '../../helpers/fake-host.ts';
import type { ResolvedHost } from '../../../src/inventory/resolve.ts';
import { statusFacts } from '../../../src/status/host-status.ts';

/** A playbook of `count` config files and `count` services, and three endpoint checks on the host. */
function program(count: number): { program: HostProgram; files: Record<string, string> } {
  const files: Record<string, string> = {};
  const resources: HostProgram['resources'] = [];
  for (let i = 0; i < count; i++) {
    files[`/etc/app${i}.conf`] = `setting=${i}\n`;
    resources.push({ resource: fileResource({ path: `/etc/app${i}.conf`, content: `setting=${i}\n`, mode: '0644', owner: 'root', group: 'root' }) });
    resources.push({ resource: serviceResource({ name: `app${i}`, enabled: true, state: 'started', ports: [] }) });
  }
  const checks = ['/-/ready', '/-/healthy', '/metrics'].map((path) => ({ check: httpCheck({ url: `http://127.0.0.1:9100${path}`, from: 'host' as const, status: 200, body: 'ok', timeoutSeconds: 1 }) }));
  return { program: { resources, checks }, files };
}

describe('a converged host costs one command after connecting', () => {
  for (const count of [1, 5, 40]) {
    it(`apply and check, with ${count * 2} resources and 3 checks`, async () => {
      const built = program(count);
      for (const check of [false, true]) {
        const { connection, commands, tunnels } = fakeHost({ files: built.files });
        const changes = await convergeHost(connection, built.program, { check, diff: false }, () => {});
        expect(changes.filter((change) => change.action !== 'same')).toEqual([]);
        expect(changes).toHaveLength(count * 2 + 3);
        expect(commands, check ? 'check' : 'apply').toHaveLength(1);
        // The checks' first attempts went through tunnels beside that command: no curl on the host.
        expect(tunnels).toEqual(['127.0.0.1:9100', '127.0.0.1:9100', '127.0.0.1:9100']);
        expect(commands[0]).not.toContain('curl');
      }
    });
  }

  it('with command and package tasks too: their guards and package state are read in the same round trip', async () => {
    const built = program(3);
    built.program.resources.push(
      { resource: commandResource({ run: { argv: ['/opt/app/setup'] }, creates: '/opt/app/.done', become: true, loginUser: 'deploy', timeoutSeconds: 600 }) },
      { resource: commandResource({ run: { shell: 'make install' }, unless: 'grep -q x /etc/y', chdir: '/srv', become: false, loginUser: 'deploy', timeoutSeconds: 600 }) },
      { resource: packageResource({ names: ['tree', 'hello'], state: 'present' }) },
    );
    for (const check of [false, true]) {
      const { connection, commands } = fakeHost({ files: built.files });
      const changes = await convergeHost(connection, built.program, { check, diff: false }, () => {});
      expect(changes.filter((change) => change.action !== 'same')).toEqual([]);
      expect(changes.slice(6, 9).map((change) => change.reason)).toEqual(['/opt/app/.done exists (creates)', 'the unless test exited 0', 'installed (apt)']);
      expect(commands, check ? 'check' : 'apply').toHaveLength(1);
    }
  });

  it('fleet status, with its read-only extras (record, service states, running versions), costs one command like check', async () => {
    const built = program(5);
    const { connection, commands } = fakeHost({ files: built.files });
    const host = { name: 'web1', address: '192.0.2.11', groups: [], labels: {}, vars: {} } as unknown as ResolvedHost;
    const extraFacts = statusFacts(host, ['app0', 'app4']);
    let raw: ReadonlyMap<string, string> | undefined;
    const changes = await convergeHost(connection, built.program, { check: true, diff: false, extraFacts, onPlan: async (plan) => void (raw = plan.facts.raw) }, () => {});
    expect(changes.filter((change) => change.action !== 'same')).toEqual([]);
    expect(commands).toHaveLength(1);
    // The extras rode in that one command, and their answers came back.
    expect(raw?.get('status-service:app0')).toBe('enabled|active\n');
    expect(raw?.get('status-service:app4')).toBe('enabled|active\n');
    // A request of a shared reader is answered from that reader's output (every answer says something, `missing` at least).
    expect(extraFacts.every((fact) => raw?.has(fact.key) && ('command' in fact ? commands[0]!.includes(fact.command) : raw.get(fact.key) !== ''))).toBe(true);
  });

  it("fleet status takes a version from the answer of the check that asks the same URL through a tunnel, not from a curl of its own", async () => {
    const built = program(1);
    const { connection, commands, tunnels } = fakeHost({ files: built.files, http: { 'http://127.0.0.1:9100/metrics': [200, 'ok\nnode_exporter_build_info{version="1.9.1"} 1\n'] } });
    const host = { name: 'web1', address: '192.0.2.11', groups: [], labels: {}, vars: {} } as unknown as ResolvedHost;
    const extraFacts = statusFacts(host, ['app0'], built.program.checks.map(({ check }) => check));
    let raw: ReadonlyMap<string, string> | undefined;
    await convergeHost(connection, built.program, { check: true, diff: false, extraFacts, onPlan: async (plan) => void (raw = plan.facts.raw) }, () => {});
    expect(commands).toHaveLength(1);
    expect(commands[0]).not.toContain('127.0.0.1:9100/metrics');
    expect(tunnels).toHaveLength(3);
    expect(raw?.get('status-version:node_exporter')).toContain('node_exporter_build_info{version="1.9.1"} 1');
  });

  it('a host that changed runs more: the change, then a re-read that also makes the checks\' first attempts', async () => {
    const built = program(3);
    const { connection, commands } = fakeHost({ files: built.files, stopped: ['app1'] });
    const changes = await convergeHost(connection, built.program, { check: false, diff: false }, () => {});
    expect(changes.filter((change) => change.action !== 'same').map((change) => change.resource)).toEqual(['service app1']);
    // facts, enable and start (confirmed by watching the unit), re-read with the probes.
    expect(commands).toHaveLength(3);
    expect(commands[1]).toMatch(/systemctl enable --quiet --no-reload app1\.service[\s\S]*systemctl start app1\.service/);
    expect(commands[2]).not.toContain('curl');
  });

  it("where the host's sshd refuses tunnels, the checks' first attempts take one curl in one more command, and the run remembers", async () => {
    const built = program(3);
    for (const check of [false, true]) {
      const { connection, commands, tunnels } = fakeHost({ files: built.files, tunnels: false });
      const changes = await convergeHost(connection, built.program, { check, diff: false }, () => {});
      expect(changes.filter((change) => change.action !== 'same')).toEqual([]);
      expect(tunnels).toEqual([]);
      expect(commands, check ? 'check' : 'apply').toHaveLength(2);
      expect(commands[1]!.match(/\bcurl\b/g)).toHaveLength(2);
      expect(commands[1]).toContain('--next');
      expect(connection.tunnelsRefused).toBe(true);
    }
  });

  it('a check that fails through the tunnel is reported as the host answered it', async () => {
    const built = program(1);
    const { connection } = fakeHost({ files: built.files, http: { 'http://127.0.0.1:9100/-/healthy': [503, 'not yet'] } });
    const changes = await convergeHost(connection, built.program, { check: true, diff: false }, () => {});
    expect(changes.filter((change) => change.action !== 'same')).toEqual([
      { resource: 'http http://127.0.0.1:9100/-/healthy from host', action: 'update', reason: 'not as expected: HTTP 503, expected 200: not yet' },
    ]);
  });
});
