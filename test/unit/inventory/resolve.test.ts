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
    expect(hosts.web1!.become.method).toBe('sudo');
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

  it('turns ProxyJump a,b into a chain as OpenSSH does: a first, then b, then the host; a keeps its own ProxyJump', async () => {
    const config = 'Host webalias\n  ProxyJump edge,inner:2200\nHost edge\n  HostName 192.0.2.1\n  User gate\n  ProxyJump outer\nHost inner\n  HostName 192.0.2.2\n';
    const alias = (await resolve([], config)).hosts.alias1!;
    const inner = alias.ssh.jump!;
    expect(inner).toMatchObject({ host: '192.0.2.2', port: 2200, user: 'ops' });
    expect(inner.jump).toMatchObject({ host: '192.0.2.1', port: 22, user: 'gate' });
    expect(inner.jump!.jump).toMatchObject({ host: 'outer' });
    expect(inner.jump!.jump!.jump).toBeUndefined();
  });

  it('keeps a ProxyCommand from ssh_config on the target, so the connection goes where ssh would go', async () => {
    const config = 'Host webalias\n  ProxyCommand ssh -W %h:%p gateway\nHost 10.0.0.9\n  ProxyCommand none\n';
    const { hosts } = await resolve([], config);
    expect(hosts.alias1!.ssh.proxyCommand).toBe('ssh -W %h:%p gateway');
    expect(hosts.db1!.ssh.proxyCommand).toBeUndefined();
  });

  it('reads known_hosts where ssh would: inventory file or UserKnownHostsFile, plus the global files; HostKeyAlias carried over', async () => {
    const { hosts } = await resolve([], 'Host webalias\n  UserKnownHostsFile /k/user1 /k/user2\n  GlobalKnownHostsFile /k/global\n  HostKeyAlias web-key\n');
    expect(hosts.alias1!.ssh).toMatchObject({ knownHostsFile: '/k/user1', moreKnownHostsFiles: ['/k/user2', '/k/global'], hostKeyAlias: 'web-key' });
    expect(hosts.db1!.ssh.knownHostsFile).toMatch(/\/\.ssh\/known_hosts$/);
    expect(hosts.db1!.ssh.moreKnownHostsFiles).toEqual([expect.stringMatching(/\/\.ssh\/known_hosts2$/), '/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2']);
    expect(hosts.db1!.ssh.hostKeyAlias).toBeUndefined();
  });

  it('refuses a ProxyJump loop in ssh_config with an error naming the host', async () => {
    await expect(resolve([], 'Host webalias\n  ProxyJump loop\nHost loop\n  ProxyJump loop\n')).rejects.toThrow(/host alias1: ssh.jump "loop" leads to more than 8 nested jump hosts/);
  });

  it('gives every host a deadline, 30 minutes unless ssh.host_timeout says otherwise', async () => {
    const { hosts } = await resolve();
    expect(hosts.db1!.ssh.hostTimeoutMs).toBe(1_800_000);
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
