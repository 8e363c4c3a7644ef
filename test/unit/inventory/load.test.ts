import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.ts';
import { loadInventory } from '../../../src/inventory/load.ts';
import { writeTempFiles } from '../../helpers/temp-files.ts';

async function loadError(yaml: string): Promise<string> {
  const file = join(writeTempFiles({ 'inv.yaml': yaml }), 'inv.yaml');
  const error = await loadInventory(file).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(UsageError);
  return (error as Error).message.replaceAll(file, 'inv.yaml');
}

describe('loadInventory', () => {
  it('loads the shipped example', async () => {
    const inventory = await loadInventory('inventory.example.yaml');
    expect(inventory.hosts.map((host) => host.name).sort()).toEqual(['db1', 'monitor1', 'web1', 'web2']);
    expect([...inventory.members.get('production')!].sort()).toEqual(['db1', 'monitor1', 'web1', 'web2']);
  });

  it('names file, line, column, path, expectation and what was found for a wrong type', async () => {
    const message = await loadError('groups:\n  web:\n    hosts:\n      web1:\n        address: 10.0.0.1\n        ssh:\n          port: twenty-two\n');
    expect(message).toBe('inv.yaml:7:17: groups.web.hosts.web1.ssh.port: expected a number, found "twenty-two"');
  });

  it('points at an unknown key and suggests the closest known one', async () => {
    const message = await loadError('hosts:\n  web1:\n    adress: 10.0.0.1\n');
    expect(message).toBe('inv.yaml:3:5: hosts.web1.adress: unknown key; did you mean "address"?');
  });

  it('lists the allowed keys when no known key is close', async () => {
    const message = await loadError('defaults:\n  ssh:\n    zzzzzzzz: 1\n');
    expect(message).toContain('inv.yaml:3:5: defaults.ssh.zzzzzzzz: unknown key (allowed here: user, port, identity_file');
  });

  it('reports a port out of range', async () => {
    const message = await loadError('hosts:\n  a:\n    address: 10.0.0.1\n    ssh: { port: 70000 }\n');
    expect(message).toBe('inv.yaml:4:18: hosts.a.ssh.port: expected a number <= 65535, found number 70000');
  });

  it('rejects a bad address', async () => {
    const message = await loadError('hosts:\n  a:\n    address: "10.0.0.1 ; rm -rf /"\n');
    expect(message).toMatch(/^inv\.yaml:3:14: hosts\.a\.address: expected an IPv4 or IPv6 address or a DNS name, found "10\.0\.0\.1 ; rm -rf \/"$/);
  });

  it('rejects a host defined twice and says where the first one is', async () => {
    const message = await loadError('hosts:\n  web1:\n    address: 10.0.0.1\ngroups:\n  web:\n    hosts:\n      web1:\n        address: 10.0.0.2\n');
    expect(message).toContain('inv.yaml:8:9: groups.web.hosts.web1: host "web1" is already defined at line 3, column 5');
  });

  it('accepts a host listed with an empty value in a second group', async () => {
    const file = join(writeTempFiles({ 'inv.yaml': 'groups:\n  web:\n    hosts:\n      web1: { address: 10.0.0.1 }\n  eu:\n    hosts:\n      web1:\n' }), 'inv.yaml');
    const inventory = await loadInventory(file);
    expect(inventory.hosts).toHaveLength(1);
    expect(inventory.hosts[0]!.directGroups).toEqual(['web', 'eu']);
  });

  it('rejects undefined groups in a host and in children', async () => {
    const message = await loadError('groups:\n  all:\n    children: [web, dbs]\n  web: {}\nhosts:\n  a:\n    address: 10.0.0.1\n    groups: [wbe]\n');
    expect(message).toContain('inv.yaml:8:14: hosts.a.groups.0: undefined group "wbe"');
    expect(message).toContain('inv.yaml:3:21: groups.all.children.1: undefined group "dbs"');
  });

  it('rejects groups that contain each other', async () => {
    const message = await loadError('groups:\n  a: { children: [b] }\n  b: { children: [a] }\n');
    expect(message).toContain('groups contain each other: a -> b -> a');
  });

  it('reports YAML syntax errors with their position', async () => {
    const message = await loadError('hosts:\n  a:\n    address: [unclosed\n');
    expect(message).toMatch(/^inv\.yaml:\d+:\d+: invalid YAML: /);
  });

  it('rejects a sudo password written in the file', async () => {
    const message = await loadError('defaults:\n  become:\n    password: hunter2\n');
    expect(message).toContain('defaults.become.password: unknown key; did you mean "password_env"?');
    expect(message).not.toContain('hunter2');
  });

  it('refuses a become method fleet does not know, naming the line and the three it knows', async () => {
    const message = await loadError('defaults:\n  become:\n    method: pkexec\n');
    expect(message).toMatch(/^inv\.yaml:3:\d+: defaults\.become\.method: .*"sudo".*"su".*"doas"/);
  });

  it('names a missing file', async () => {
    await expect(loadInventory('/nonexistent/inv.yaml')).rejects.toThrow('/nonexistent/inv.yaml: cannot read the file: ENOENT');
  });
});

describe('keys and labels that would change something other than what they name', () => {
  it('refuses the target labels job and __* (Prometheus lets them override the scrape job)', async () => {
    const message = await loadError('hosts:\n  a:\n    address: 10.0.0.1\n    labels: { env: prod, job: web, __scheme__: https }\n');
    expect(message).toContain('inv.yaml:4:26: hosts.a.labels.job: reserved label');
    expect(message).toContain('hosts.a.labels.__scheme__: reserved label');
    expect(message).not.toContain('labels.env');
  });

  it('refuses __proto__, constructor and prototype among vars at their position', async () => {
    const message = await loadError('hosts:\n  a:\n    address: 10.0.0.1\n    vars:\n      x:\n        __proto__: { polluted: 1 }\n');
    expect(message).toMatch(/^inv\.yaml:6:9: hosts\.a\.vars\.x\.__proto__: "__proto__" is reserved/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
