import { join } from 'node:path';
import type { LabHost } from './boot.ts';
import { labDir, labKeyPath } from './layout.ts';

/** An inventory that reaches the given lab hosts as root with the lab key. */
export function renderLabInventory(hosts: readonly LabHost[]): string {
  const lines = [
    '# Written by `fleet lab up`: the local lab of systemd-nspawn hosts.',
    'defaults:',
    '  ssh:',
    '    user: root',
    `    identity_file: ${labKeyPath()}`,
    '    agent: false',
    '    connect_timeout: 5',
    '    # Lab addresses are reused by every boot, so their keys live apart from ~/.ssh/known_hosts.',
    '    host_key_checking: accept-new',
    `    known_hosts_file: ${join(labDir(), 'known_hosts')}`,
    '  labels:',
    '    env: lab',
    'groups:',
    '  lab:',
    '    hosts:',
    ...hosts.flatMap((host) => [`      ${host.name}:`, `        address: ${host.address}`]),
  ];
  return `${lines.join('\n')}\n`;
}
