import type { Command } from 'commander';
import { UsageError } from '../../errors.ts';
import type { ResolvedHost, SshTarget } from '../../inventory/resolve.ts';
import { isPlainObject } from '../../inventory/merge.ts';
import { color } from '../colors.ts';
import { addSelectionOptions } from '../common-options.ts';
import { formatTable } from '../table.ts';

interface InventoryOptions {
  limit?: string;
  shard?: import('../../inventory/shard.ts').Shard;
  host?: string;
  extraVars: string[];
  json?: boolean;
}

export function registerInventory(program: Command): void {
  addSelectionOptions(
    program
      .command('inventory')
      .summary('validate an inventory and show the hosts it resolves to')
      .description(
        'Validates the inventory (every error names file:line:column and the setting) and prints the resolved hosts without connecting.\n' +
          'With --host, prints every merged setting of one host and the level it came from ' +
          '(builtin < defaults < group < host < -e; ssh settings not set in the inventory come from ~/.ssh/config).\n' +
          'include: [FILE|FOLDER|SCRIPT, ...] merges other inventory files, folders (group_vars/NAME.yaml and host_vars/NAME.yaml hold vars), ' +
          "executables printing Ansible's --list JSON, and Prometheus file_sd .json files; a setting made twice is an error naming both files.\n\n" +
          'Examples:\n  fleet inventory inventory.yaml\n  fleet inventory inventory.yaml --host web1\n  fleet inventory inventory.yaml --limit "web*" --json\n  fleet inventory inventory.yaml --shard 0/4     the hosts of shard 0 of 4',
      )
      .argument('<inventory>', 'inventory YAML file')
      .option('--host <name>', 'show the merged settings of one host and where each came from'),
  ).action(async (inventoryFile: string, options: InventoryOptions) => {
    // Loaded when the command runs, not at start-up (see main.ts).
    const { loadSelectedHosts } = await import('../load-hosts.ts');
    const hosts = await loadSelectedHosts(inventoryFile, { limit: options.limit, shard: options.shard, extraVars: options.extraVars });
    if (options.host) {
      const host = hosts.find((candidate) => candidate.name === options.host);
      if (!host) throw new UsageError(`--host ${options.host}: no such host in ${inventoryFile} (hosts: ${hosts.map((h) => h.name).join(', ')})`);
      const rows = settingRows(host);
      if (options.json) process.stdout.write(`${JSON.stringify({ host: host.name, settings: rows.map(([path, value, source]) => ({ path, value, source })) }, null, 2)}\n`);
      else process.stdout.write(`${formatTable([['setting', 'value', 'from'].map(color.dim), ...rows])}\n`);
      return;
    }
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ hosts: hosts.map(({ sources: _sources, ...host }) => host) }, null, 2)}\n`);
      return;
    }
    const rows = hosts.map((host) => [
      host.name,
      describeTarget(host.ssh),
      host.groups.join(',') || '-',
      host.become.enabled ? host.become.method : '-',
      Object.entries(host.labels).map(([key, value]) => `${key}=${value}`).join(',') || '-',
    ]);
    process.stdout.write(`${formatTable([['host', 'connects to', 'groups', 'become', 'labels'].map(color.dim), ...rows])}\n${hosts.length} host(s)\n`);
  });
}

function describeTarget(ssh: SshTarget): string {
  const via = ssh.jump ? ` via ${describeHops(ssh.jump)}` : ssh.proxyCommand ? ` via ProxyCommand "${ssh.proxyCommand}"` : '';
  return `${ssh.user}@${ssh.host}:${ssh.port}${via}`;
}

/** The jump hosts in the order they are reached: `ProxyJump a,b` reads "a, b". */
function describeHops(jump: SshTarget): string {
  return `${jump.jump ? `${describeHops(jump.jump)}, ` : ''}${jump.user}@${jump.host}:${jump.port}`;
}

/** Every leaf setting of a host as [path, value, source]. */
function settingRows(host: ResolvedHost): string[][] {
  const rows: string[][] = [['address', host.address, host.sources.address ?? 'host']];
  const sshFields: [string, unknown][] = [
    ['ssh.host', host.ssh.host],
    ['ssh.user', host.ssh.user],
    ['ssh.port', host.ssh.port],
    ['ssh.identity_file', host.ssh.identityFiles.join(', ') || '(none)'],
    ['ssh.agent', host.ssh.agent ? 'yes' : 'no'],
    ['ssh.jump', host.ssh.jump ? describeHops(host.ssh.jump) : '(none)'],
    ['ssh.proxy_command', host.ssh.proxyCommand ?? '(none)'],
    ['ssh.connect_timeout', host.ssh.connectTimeoutMs / 1000],
    ['ssh.host_timeout', (host.ssh.hostTimeoutMs ?? 0) / 1000],
    ['ssh.host_key_checking', host.ssh.hostKeyChecking],
    ['ssh.known_hosts_file', host.ssh.knownHostsFile],
    ['become.enabled', host.become.enabled],
    ['become.method', host.become.method],
    ['become.password_env', host.become.passwordEnv ?? '(none)'],
    ['become.password_prompt', host.become.passwordPrompt],
    ['bootstrap.user', host.bootstrap.user],
    ['bootstrap.password_env', host.bootstrap.passwordEnv ?? '(none)'],
    ['bootstrap.password_prompt', host.bootstrap.passwordPrompt],
    ['bootstrap.identity_file', host.bootstrap.identityFiles.join(', ') || '(none)'],
    ['bootstrap.authorized_key_file', host.bootstrap.authorizedKeyFile ?? '(none)'],
    ['bootstrap.harden_sshd', host.bootstrap.hardenSshd],
  ];
  const sourceOf = (path: string) => host.sources[path === 'ssh.host' ? 'ssh.host_name' : path] ?? 'default';
  for (const [path, value] of sshFields) rows.push([path, String(value), sourceOf(path)]);
  rows.push(['groups', host.groups.join(', ') || '(none)', 'inventory']);
  for (const [key, value] of Object.entries(host.labels)) rows.push([`labels.${key}`, value, sourceOf(`labels.${key}`)]);
  const walk = (prefix: string, value: unknown) => {
    if (isPlainObject(value) && Object.keys(value).length > 0) {
      for (const [key, inner] of Object.entries(value)) walk(`${prefix}.${key}`, inner);
    } else {
      rows.push([prefix, typeof value === 'string' ? value : JSON.stringify(value), sourceOf(prefix)]);
    }
  };
  for (const [key, value] of Object.entries(host.vars)) walk(`vars.${key}`, value);
  return rows;
}
