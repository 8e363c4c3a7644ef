import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseExtraVars } from '../../../src/inventory/extra-vars.ts';
import { loadInventory } from '../../../src/inventory/load.ts';
import { resolveHosts } from '../../../src/inventory/resolve.ts';
import { loadSshConfig } from '../../../src/inventory/ssh-config.ts';
import { writeTempFiles } from '../../helpers/temp-files.ts';

const INVENTORY = `
defaults:
  ssh: { user: ops, identity_file: keys/id }
  vars:
    node_exporter: { port: 9100, version: 1.12.1 }
    region: eu
groups:
  all_web:
    children: [web]
    vars: { region: us, tier: front }
  web:
    ssh: { port: 2222 }
    vars: { tier: web }
    hosts:
      web1:
        address: 10.0.0.1
        vars:
          node_exporter: { port: 9200 }
      alias1:
        address: webalias
hosts:
  db1:
    address: 10.0.0.9
    ssh: { user: root }
`;

async function resolve(extra: string[] = [], sshConfig = '') {
  const dir = writeTempFiles({ 'inv.yaml': INVENTORY, ssh_config: sshConfig });
  const inventory = await loadInventory(join(dir, 'inv.yaml'));
  const hosts = resolveHosts(inventory, { extraVars: parseExtraVars(extra), sshConfig: loadSshConfig(join(dir, 'ssh_config')) });
  return { dir, hosts: Object.fromEntries(hosts.map((host) => [host.name, host])) };
}

describe('resolveHosts', () => {
  it('merges defaults < parent group < child group < host < -e and records each source', async () => {
    const { hosts } = await resolve(['node_exporter.version=1.11.0']);
    const web1 = hosts.web1!;
    expect(web1.vars).toEqual({ node_exporter: { port: 9200, version: '1.11.0' }, region: 'us', tier: 'web' });
    expect(web1.sources['vars.node_exporter.port']).toBe('host');
    expect(web1.sources['vars.node_exporter.version']).toBe('-e');
    expect(web1.sources['vars.region']).toBe('group all_web');
    expect(web1.sources['vars.tier']).toBe('group web');
    expect(web1.groups).toEqual(['all_web', 'web']);
  });

  it('resolves SSH settings: inventory values, then defaults; identity files relative to the inventory', async () => {
    const { dir, hosts } = await resolve();
    expect(hosts.web1!.ssh).toMatchObject({ host: '10.0.0.1', port: 2222, user: 'ops', identityFiles: [join(dir, 'keys/id')], hostKeyChecking: 'strict' });
    expect(hosts.db1!.ssh).toMatchObject({ user: 'root', port: 22 });
    expect(hosts.db1!.become.enabled).toBe(false);
    expect(hosts.web1!.become.enabled).toBe(true);
  });

  it('takes HostName, Port and ProxyJump from ~/.ssh/config for an alias, inventory values still winning', async () => {
    const { hosts } = await resolve([], 'Host webalias\n  HostName 192.0.2.7\n  Port 2200\n  User nobody\n  ProxyJump jumper@bastion:2022\n');
    const alias = hosts.alias1!;
    expect(alias.ssh.host).toBe('192.0.2.7');
    expect(alias.ssh.port).toBe(2222); // the group sets the port, which wins over ssh_config
    expect(alias.ssh.user).toBe('ops');
    expect(alias.ssh.jump).toMatchObject({ host: 'bastion', port: 2022, user: 'jumper' });
    expect(alias.sources['ssh.host_name']).toBe('ssh_config');
  });
});

describe('parseExtraVars', () => {
  it('nests dotted keys and parses YAML scalars', () => {
    expect(parseExtraVars(['a.b=3', 'flag=true', 'name=web 1'])).toEqual({ a: { b: 3 }, flag: true, name: 'web 1' });
  });

  it('rejects a pair without =', () => {
    expect(() => parseExtraVars(['oops'])).toThrow('-e oops: expected key=value');
  });
});

describe('parseExtraVars and prototype keys', () => {
  it.each(['__proto__.x=1', 'a.__proto__.x=1', 'constructor.prototype.x=1', 'prototype=1'])('refuses -e %s and leaves Object.prototype alone', (pair) => {
    expect(() => parseExtraVars([pair])).toThrow(/is reserved by JavaScript/);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});
