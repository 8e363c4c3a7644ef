import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LAB_ACCOUNTS } from '../../src/lab/layout.ts';
import { runFleet } from '../helpers/run-fleet.ts';
import { labUnavailable, onLabHost, useLabHosts, writeLabInventory } from './lab-hosts.ts';
import { useLabMirror } from './mirror.ts';

interface Report {
  hosts: { host: string; status: string; durationMs: number; error?: { kind: string; message: string }; result?: { become?: string; changes?: { action: string }[] }; connection?: { become?: string } }[];
}

// A root-only file: only a command that really became root can write it.
const ROOT_FILE_PLAYBOOK = `tasks:
  - file: { path: /root/fleet-become.txt, content: "written as root\\n", mode: "0600" }
`;

describe.skipIf(labUnavailable)('become.method su and doas on a lab host', () => {
  const hosts = useLabHosts([
    { name: 'become-a', index: 155 },
    { name: 'become-13', index: 156, suite: 'trixie' },
  ]);
  const mirror = useLabMirror();

  /** An inventory that logs in as `user` and becomes root with `become` (YAML flow mapping). */
  const inventory = async (user: string, become: string, host = hosts[0]!) => {
    const { dir, file } = await writeLabInventory([host], `        ssh: { user: ${user} }\n        become: ${become}\n`, { mirrorUrl: mirror.url });
    await writeFile(join(dir, 'root-file.yaml'), ROOT_FILE_PLAYBOOK);
    return { dir, file, playbook: join(dir, 'root-file.yaml') };
  };
  const json = (stdout: string) => JSON.parse(stdout) as Report;

  it('su: ping says su, a real node-exporter apply converges, and root\'s password is in no -vvv line or --log entry', async () => {
    const { dir, file } = await inventory(LAB_ACCOUNTS.suUser, '{ method: su, password_env: FLEET_ROOT_PASSWORD }');
    const env = { ...mirror.env, FLEET_ROOT_PASSWORD: LAB_ACCOUNTS.rootPassword };

    const ping = await runFleet(['ping', file, '--json'], env);
    expect(ping.code, ping.stderr).toBe(0);
    expect(json(ping.stdout).hosts[0]).toMatchObject({ status: 'ok', result: { user: LAB_ACCOUNTS.suUser, become: 'su' } });
    const text = await runFleet(['ping', file], env);
    expect(text.stdout).toMatch(new RegExp(`become-a\\s+ok\\s+${LAB_ACCOUNTS.suUser}, become su\\s+Debian`));

    const log = join(dir, 'run.jsonl');
    const first = await runFleet(['apply', file, 'node-exporter', '--no-register', '--json', '-vvv', '--log', log], env);
    expect(first.code, first.stderr).toBe(0);
    expect(json(first.stdout).hosts[0]).toMatchObject({ status: 'changed', connection: { become: 'su' } });
    expect(first.stderr).toMatch(/^ {4}\(su\) \$ /m);
    expect(await onLabHost(hosts[0]!, 'systemctl is-active node_exporter; stat -c "%U %a" /usr/local/bin/node_exporter')).toBe('active\nroot 755\n');
    const metrics = await onLabHost(hosts[0]!, 'curl -fsS http://127.0.0.1:9100/metrics | grep -c "^node_exporter_build_info"');
    expect(metrics.trim()).toBe('1');
    const logged = await readFile(log, 'utf8');
    for (const output of [first.stdout, first.stderr, logged]) expect(output).not.toContain(LAB_ACCOUNTS.rootPassword);
    // The facts came back through the PTY intact: the second run finds nothing to do.
    const again = await runFleet(['apply', file, 'node-exporter', '--no-register'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/become-a\s+ok\s+ok=\d+\s+changed=0\s+[\d.]+s\s+become su/);
  });

  it('doas with a password and doas with a nopass rule both write a root-only file, and say doas', async () => {
    for (const [user, become, env] of [
      [LAB_ACCOUNTS.doasUser, '{ method: doas, password_env: FLEET_DOAS_PASSWORD }', { FLEET_DOAS_PASSWORD: LAB_ACCOUNTS.doasPassword }],
      [LAB_ACCOUNTS.doasNopassUser, '{ method: doas }', {}],
    ] as const) {
      await onLabHost(hosts[0]!, 'rm -f /root/fleet-become.txt');
      const { dir, file, playbook } = await inventory(user, become);
      const ping = await runFleet(['ping', file, '--json'], env);
      expect(ping.code, `${user}: ${ping.stdout}${ping.stderr}`).toBe(0);
      expect(json(ping.stdout).hosts[0]).toMatchObject({ status: 'ok', result: { user, become: 'doas' } });
      const log = join(dir, 'run.jsonl');
      const first = await runFleet(['apply', file, playbook, '--json', '-vvv', '--log', log], env);
      expect(first.code, `${user}: ${first.stderr}`).toBe(0);
      expect(json(first.stdout).hosts[0]).toMatchObject({ status: 'changed', connection: { become: 'doas' } });
      expect(await onLabHost(hosts[0]!, 'stat -c "%U %a" /root/fleet-become.txt; cat /root/fleet-become.txt')).toBe('root 600\nwritten as root\n');
      const again = await runFleet(['apply', file, playbook, '--json'], env);
      expect(json(again.stdout).hosts[0]!.status).toBe('ok');
      for (const output of [first.stdout, first.stderr, await readFile(log, 'utf8')]) expect(output).not.toContain(LAB_ACCOUNTS.doasPassword);
    }
  });

  it('a wrong password fails the host within seconds with a clear error, and is never shown', async () => {
    const wrong = 'not-the-right-password';
    for (const [method, user] of [['su', LAB_ACCOUNTS.suUser], ['doas', LAB_ACCOUNTS.doasUser]] as const) {
      const { dir, file, playbook } = await inventory(user, `{ method: ${method}, password_env: FLEET_BECOME_PASSWORD }`);
      const log = join(dir, 'run.jsonl');
      const started = Date.now();
      const run = await runFleet(['apply', file, playbook, '--json', '-vvv', '--log', log], { FLEET_BECOME_PASSWORD: wrong });
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(run.code, run.stderr).not.toBe(0);
      const host = json(run.stdout).hosts[0]!;
      expect(host.status).toBe('failed');
      expect(host.error?.kind).toBe('become');
      expect(host.error?.message).toMatch(new RegExp(`become \\(${method}\\) failed on become-a: authentication fail`));
      for (const output of [run.stdout, run.stderr, await readFile(log, 'utf8')]) expect(output).not.toContain(wrong);
    }
  });

  it('Debian 13: su and doas with passwords write a root-only file', async () => {
    for (const [user, become, env] of [
      [LAB_ACCOUNTS.suUser, '{ method: su, password_env: FLEET_BECOME_PASSWORD }', { FLEET_BECOME_PASSWORD: LAB_ACCOUNTS.rootPassword }],
      [LAB_ACCOUNTS.doasUser, '{ method: doas, password_env: FLEET_BECOME_PASSWORD }', { FLEET_BECOME_PASSWORD: LAB_ACCOUNTS.doasPassword }],
    ] as const) {
      await onLabHost(hosts[1]!, 'rm -f /root/fleet-become.txt');
      const { file, playbook } = await inventory(user, become, hosts[1]!);
      const run = await runFleet(['apply', file, playbook, '--json'], env);
      expect(run.code, `${user}: ${run.stdout}${run.stderr}`).toBe(0);
      expect(await onLabHost(hosts[1]!, 'stat -c "%U %a" /root/fleet-become.txt; . /etc/os-release; echo $VERSION_ID')).toBe('root 600\n13\n');
    }
  });

  it('su without a password fails at its prompt at once, saying which password to give', async () => {
    const { file } = await inventory(LAB_ACCOUNTS.suUser, '{ method: su }');
    const started = Date.now();
    const run = await runFleet(['ping', file, '--json']);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(run.code).not.toBe(0);
    expect(json(run.stdout).hosts[0]!.error?.message).toMatch(/become \(su\) failed on become-a: su asked for a password and none was given \(set become\.password_env or become\.password_prompt: root's password\)/);
  });
});
