import { join } from 'node:path';
import { stringify } from 'yaml';
import type { LabHost } from './boot.ts';
import { labDir, labKeyPath } from './layout.ts';
import { LAB_ALLOY_VERSIONS, LAB_NODE_EXPORTER_VERSION } from './mirror.ts';

export interface LabInventoryOptions {
  /** The lab's release mirror (see buildLabMirror); pins the versions it holds. */
  mirrorUrl?: string;
  /** More variables for every host. */
  vars?: Record<string, unknown>;
  /** Lab hosts running the central Prometheus (see enableLabPrometheus); they form the group monitoring. */
  prometheusServers?: readonly string[];
}

/** An inventory that reaches the given lab hosts as root with the lab key. */
export function renderLabInventory(hosts: readonly LabHost[], options: LabInventoryOptions = {}): string {
  const servers = options.prometheusServers ?? [];
  const entries = (list: readonly LabHost[]) => list.flatMap((host) => [`      ${host.name}:`, `        address: ${host.address}`]);
  const vars = {
    ...(options.mirrorUrl
      ? {
          artifacts: { mirror: options.mirrorUrl },
          node_exporter: { version: LAB_NODE_EXPORTER_VERSION },
          alloy: { version: LAB_ALLOY_VERSIONS[0] },
        }
      : {}),
    ...options.vars,
  };
  const varsBlock = Object.keys(vars).length
    ? [
        '  # The lab mirror serves Debian\'s node_exporter and a stand-in for Alloy (not Grafana Alloy) in GitHub\'s release layout.',
        '  vars:',
        ...stringify(vars).trimEnd().split('\n').map((line) => `    ${line}`),
      ]
    : [];
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
    ...varsBlock,
    ...(servers.length
      ? ['prometheus:', '  scrape_interval: 5s', '  servers:', ...servers.map((name) => `    - host: ${name}`), 'groups:', '  monitoring:', '    hosts:', ...entries(hosts.filter((host) => servers.includes(host.name)))]
      : ['groups:']),
    '  lab:',
    '    hosts:',
    ...entries(hosts.filter((host) => !servers.includes(host.name))),
  ];
  return `${lines.join('\n')}\n`;
}
