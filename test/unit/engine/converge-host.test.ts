import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Connection } from '../../../src/connection/ssh.ts';
import { convergeHost, type HostProgram } from '../../../src/engine/host-plan.ts';
import { fileResource } from '../../../src/resources/file.ts';
import { httpCheck } from '../../../src/resources/http-check.ts';
import { serviceResource } from '../../../src/resources/service.ts';
import type { ResolvedHost } from '../../../src/inventory/resolve.ts';
import { statusFacts } from '../../../src/status/host-status.ts';

/**
 * Stands in for the SSH session of a Debian host whose services and files are as the program wants
 * (unless `stopped` names a service): answers the fact and probe commands, and counts every exec,
 * which is what Connection.usage.commands counts on a real session.
 */
function fakeHost(files: Record<string, string>, stopped: string[] = []) {
  const commands: string[] = [];
  const running = new Set<string>();
  const answer = (command: string): string => {
    const service = /systemctl is-enabled '?([^' ]+)\.service/.exec(command);
    if (service) return `enabled|${stopped.includes(service[1]!) && !running.has(service[1]!) ? 'inactive' : 'active'}\n`;
    const active = /systemctl is-active '?([^' ]+)\.service/.exec(command);
    if (active) return stopped.includes(active[1]!) ? 'inactive\n' : 'active\n';
    const path = /sha256sum '?([^' |]+)/.exec(command)?.[1];
    if (path && path in files) return `regular file|644|root|root|${createHash('sha256').update(files[path]!).digest('hex')}\n`;
    // The status marker is random per run: answer with the one the command asks curl to print.
    const statusMark = /(__fleet_http_status_[0-9a-f]+__)%\{http_code\}/.exec(command)?.[1];
    if (statusMark) return `ok\n${statusMark}200`;
    if (command.includes('uname -m')) return 'x86_64\n';
    return '';
  };
  const exec = async (command: string) => {
      commands.push(command);
      for (const started of command.matchAll(/systemctl (?:start|restart) '?([^' ]+)\.service/g)) running.add(started[1]!);
      // Each part of the facts round trip, run one after the other or (as fleet sends it) in the background.
      const parts = [...command.matchAll(/printf '\\n(__fleet_part_[0-9a-f]+_)%d\\n' (\d+); \( ([\s\S]*?) \) 2>&1(?=; \} >|\nprintf|$)/g)];
      const stdout = parts.length ? parts.map((part) => `\n${part[1]}${part[2]}\n${answer(part[3]!)}`).join('') : answer(command);
      return { code: 0, stdout, stderr: '' };
  };
  const connection = { exec, execChecked: async (_step: string, command: string) => (await exec(command)).stdout } as unknown as Connection;
  return { connection, commands };
}

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
        const { connection, commands } = fakeHost(built.files);
        const changes = await convergeHost(connection, built.program, { check, diff: false }, () => {});
        expect(changes.filter((change) => change.action !== 'same')).toEqual([]);
        expect(changes).toHaveLength(count * 2 + 3);
        expect(commands, check ? 'check' : 'apply').toHaveLength(1);
      }
    });
  }

  it('fleet status, with its read-only extras (record, service states, running versions), costs one command like check', async () => {
    const built = program(5);
    const { connection, commands } = fakeHost(built.files);
    const host = { name: 'web1', address: '192.0.2.11', groups: [], labels: {}, vars: {} } as unknown as ResolvedHost;
    const extraFacts = statusFacts(host, ['app0', 'app4']);
    let raw: ReadonlyMap<string, string> | undefined;
    const changes = await convergeHost(connection, built.program, { check: true, diff: false, extraFacts, onPlan: async (plan) => void (raw = plan.facts.raw) }, () => {});
    expect(changes.filter((change) => change.action !== 'same')).toEqual([]);
    expect(commands).toHaveLength(1);
    // The extras rode in that one command, and their answers came back.
    expect(raw?.get('status-service:app0')).toBe('active\n');
    expect(raw?.get('status-service:app4')).toBe('active\n');
    expect(extraFacts.every((fact) => commands[0]!.includes(fact.command))).toBe(true);
  });

  it('a host that changed runs more: the change, then a re-read that also makes the checks\' first attempts', async () => {
    const built = program(3);
    const { connection, commands } = fakeHost(built.files, ['app1']);
    const changes = await convergeHost(connection, built.program, { check: false, diff: false }, () => {});
    expect(changes.filter((change) => change.action !== 'same').map((change) => change.resource)).toEqual(['service app1']);
    // facts, enable and start (confirmed by watching the unit), re-read with the probes.
    expect(commands).toHaveLength(3);
    expect(commands[1]).toMatch(/systemctl enable --quiet --no-reload app1\.service[\s\S]*systemctl start app1\.service/);
    expect(commands[2]).toContain('curl');
  });
});
