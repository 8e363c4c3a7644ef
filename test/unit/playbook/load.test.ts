import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mkdir, rename } from 'node:fs/promises';
import { loadPlaybook, loadPlaybooks } from '../../../src/playbook/load.ts';
import { buildHostProgram } from '../../../src/playbook/build-program.ts';
import type { ResolvedHost } from '../../../src/inventory/resolve.ts';
import { writeTempFiles } from '../../helpers/temp-files.ts';

describe('loadPlaybook', () => {
  it('loads the shipped site playbook with the ones it imports, in order', async () => {
    const loaded = await loadPlaybooks(['site'], '/nonexistent');
    expect(loaded.map(({ playbook }) => playbook.name)).toEqual(['site', 'node-exporter', 'alloy']);
  });

  it('refuses a playbook that imports itself', async () => {
    const dir = writeTempFiles({ 'a.yaml': 'import: [b]\n', 'b.yaml': 'import: [a]\n' });
    await mkdir(join(dir, 'playbooks'));
    for (const name of ['a', 'b']) await rename(join(dir, `${name}.yaml`), join(dir, 'playbooks', `${name}.yaml`));
    await expect(loadPlaybooks(['a'], dir)).rejects.toThrow(/imports itself \(.*a\.yaml -> .*b\.yaml -> .*a\.yaml\)/);
  });

  it('reports a bad mode, an unknown key and a task with two kinds at file:line:col', async () => {
    const dir = writeTempFiles({
      'p.yaml': 'tasks:\n  - file: { path: /etc/a, content: x, mode: 644 }\n  - directory: { path: /etc/b, mdoe: "0755" }\n  - directory: { path: /etc/c }\n    file: { path: /etc/d, content: y }\n',
    });
    const error = await loadPlaybook(join(dir, 'p.yaml')).catch((caught: Error) => caught);
    const lines = (error as Error).message.replaceAll(join(dir, 'p.yaml'), 'p.yaml').split('\n');
    expect(lines).toContain('p.yaml:2:45: tasks.0.file.mode: expected a string, found number 644');
    expect(lines).toContain('p.yaml:3:32: tasks.1.directory.mdoe: unknown key; did you mean "mode"?');
    expect(lines).toContain('p.yaml:4:5: tasks.2: expected exactly one of directory, file, template, unit, user, artifact, service, firewall, http_check in each task, found a mapping');
  });

  it('checks when, notify and the new kinds before anything connects', async () => {
    const dir = writeTempFiles({
      'p.yaml': 'tasks:\n  - service: { name: x }\n    notify: [bounce x]\n  - firewall: { port: 9100 }\n    when: { cpu: amd64 }\n  - http_check: { url: "http://127.0.0.1/", from: "two words" }\n',
    });
    const error = await loadPlaybook(join(dir, 'p.yaml')).catch((caught: Error) => caught);
    const lines = (error as Error).message.replaceAll(join(dir, 'p.yaml'), 'p.yaml').split('\n');
    expect(lines).toContain('p.yaml:3:14: tasks.0.notify.0: expected "restart SERVICE" or "reload SERVICE", found "bounce x"');
    expect(lines.find((line) => line.startsWith('p.yaml:5:13: tasks.1.when.cpu: unknown key'))).toBeDefined();
    expect(lines.find((line) => line.startsWith('p.yaml:6:51: tasks.2.http_check.from:'))).toContain('expected host, controller or an inventory host name, found "two words"');
  });
});

describe('building a host program', () => {
  it('refuses a check from a host the inventory does not have, before connecting', async () => {
    const dir = writeTempFiles({ 'p.yaml': 'tasks:\n  - http_check: { url: "http://127.0.0.1/", from: nowhere }\n' });
    const playbook = await loadPlaybook(join(dir, 'p.yaml'));
    const host = { name: 'web1', address: '192.0.2.1', groups: [], labels: {}, vars: {} } as unknown as ResolvedHost;
    await expect(buildHostProgram([playbook], host, dir)).rejects.toThrow(`${join(dir, 'p.yaml')} tasks.0.http_check.from: "nowhere" is not host, controller or a host of the inventory`);
  });
});
