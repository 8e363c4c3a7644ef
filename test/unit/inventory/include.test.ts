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
