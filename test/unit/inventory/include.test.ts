import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInventory } from '../../../src/inventory/load.ts';
import { resolveHosts } from '../../../src/inventory/resolve.ts';
import { writeTempFiles } from '../../helpers/temp-files.ts';

const FIXTURES = join(import.meta.dirname, '../../fixtures/split-inventory');
const resolved = async (file: string) => resolveHosts(await loadInventory(file), { extraVars: {}, builtinVars: {} }).map(({ name, address, groups, labels, vars, ssh }) => ({ name, address, groups, labels, vars, ssh }));

describe('include:', () => {
  it('a split inventory (files, a folder, group_vars/ and host_vars/) resolves to the same hosts as the single file', async () => {
    const single = await resolved(join(FIXTURES, 'single.yaml'));
    expect(single.map((host) => host.name)).toEqual(['web1', 'web2', 'db1']);
    expect(await resolved(join(FIXTURES, 'split.yaml'))).toEqual(single);
  });

  it('an error in an included file names that file, line and column', async () => {
    const dir = writeTempFiles({
      'main.yaml': 'include: [web.yaml]\nhosts:\n  db1:\n    address: 192.0.2.21\n',
      'web.yaml': 'hosts:\n  web1:\n    address: 192.0.2.11\n    ssh: { prot: 22 }\n',
    });
    await expect(loadInventory(join(dir, 'main.yaml'))).rejects.toThrow(`${join(dir, 'web.yaml')}:4:12: hosts.web1.ssh.prot: unknown key; did you mean "port"?`);
  });

  it('a setting made in two files is an error naming both; a missing include names the include line', async () => {
    const dir = writeTempFiles({
      'main.yaml': 'include: [a.yaml, b.yaml]\n',
      'a.yaml': 'hosts:\n  web1:\n    address: 192.0.2.11\n',
      'b.yaml': '# b\nhosts:\n  web1:\n    address: 192.0.2.99\n',
      'gone.yaml': 'include:\n  - nowhere.yaml\n',
    });
    await expect(loadInventory(join(dir, 'main.yaml'))).rejects.toThrow(`${join(dir, 'b.yaml')}:4:14: hosts.web1.address: already set in ${join(dir, 'a.yaml')}:3:14`);
    await expect(loadInventory(join(dir, 'gone.yaml'))).rejects.toThrow(`${join(dir, 'gone.yaml')}:2:5: include.0: ${join(dir, 'nowhere.yaml')} does not exist`);
  });
});

describe('dynamic inventories', () => {
  it("a script printing Ansible's --list JSON resolves to the same hosts as the single file", async () => {
    expect(await resolved(join(FIXTURES, 'dynamic.yaml'))).toEqual(await resolved(join(FIXTURES, 'single.yaml')));
  });

  it("an error in the script's output is positioned in that output", async () => {
    const output = '{\n  "_meta": { "hostvars": {\n    "web1": { "ansible_host": "192.0.2.11", "ansible_port": "22x" }\n  } },\n  "web": ["web1"]\n}';
    const dir = writeTempFiles({ 'main.yaml': 'include: [cloud.sh]\n', 'cloud.sh': `#!/bin/sh\ncat <<'JSON'\n${output}\nJSON\n` });
    const { chmodSync } = await import('node:fs');
    chmodSync(join(dir, 'cloud.sh'), 0o755);
    await expect(loadInventory(join(dir, 'main.yaml'))).rejects.toThrow(`${join(dir, 'cloud.sh')} --list (its output):3:61: hosts.web1.ssh.port: expected a number, found "22x"`);
  });

  it('a Prometheus file_sd JSON file supplies hosts (named by their instance label) and groups', async () => {
    const dir = writeTempFiles({
      'main.yaml': 'include: [targets.json]\n',
      'targets.json': JSON.stringify([{ targets: ['192.0.2.11:9100'], labels: { instance: 'web1', groups: ',web,', env: 'prod' } }, { targets: ['192.0.2.21:9100'], labels: { instance: 'db1' } }], null, 2),
    });
    const hosts = await resolved(join(dir, 'main.yaml'));
    expect(hosts.map(({ name, address, groups, labels }) => ({ name, address, groups, labels }))).toEqual([
      { name: 'web1', address: '192.0.2.11', groups: ['web'], labels: { env: 'prod' } },
      { name: 'db1', address: '192.0.2.21', groups: [], labels: {} },
    ]);
  });
});
