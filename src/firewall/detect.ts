import { fileLinesFact, parseFileLines, type FileLines } from '../facts/file-lines.ts';
import type { FactRequest } from '../resources/types.ts';
import { findInputChain, type NftChain } from './nftables.ts';

export type FirewallKind = 'ufw' | 'firewalld' | 'nftables' | 'iptables' | 'none';

export interface FirewallState {
  kind: FirewallKind;
  /** For nftables: the base chain on the input hook that fleet adds its rules to. */
  nftChain?: NftChain;
  /** The raw listings the backends read their rules from. */
  listings: { ufw: string; firewalld: string; nft: string; nftConf: string; iptables: string };
}

/**
 * Read-only probes, run as root in the facts round trip. ufw and firewall-cmd are Python programs
 * (a few hundred ms of CPU each): ufw's state is read from the files it keeps (ENABLED in ufw.conf, the
 * rule tuples in user.rules and user6.rules), and firewall-cmd runs only where the firewalld unit is
 * active. Whether it is starts no program where firewalld has no cgroup: systemd keeps a running
 * service's processes in `system.slice/firewalld.service` (cgroup v2, or v1's name=systemd tree), and
 * a stopped one has none there; only where neither tree exists does systemctl answer.
 */
const UFW_SETTINGS = { '/etc/ufw/ufw.conf': '^ENABLED=', '/etc/ufw/user.rules': '^### tuple ###', '/etc/ufw/user6.rules': '^### tuple ###' };

export const FIREWALL_FACTS: FactRequest[] = [
  { key: 'fw:ufw-installed', command: 'command -v ufw >/dev/null && echo installed || echo missing', sharesShell: true },
  ...Object.entries(UFW_SETTINGS).map(([path, matching]) => fileLinesFact(`fw:ufw:${path}`, path, { matching })),
  {
    key: 'fw:firewalld',
    command: [
      'if ! command -v firewall-cmd >/dev/null; then echo missing',
      'elif [ -d /sys/fs/cgroup/system.slice ] || [ -d /sys/fs/cgroup/systemd/system.slice ]; then',
      '  if { [ -d /sys/fs/cgroup/system.slice/firewalld.service ] || [ -d /sys/fs/cgroup/systemd/system.slice/firewalld.service ]; } && systemctl is-active --quiet firewalld.service; then echo running; firewall-cmd --list-all; else echo missing; fi',
      'elif systemctl is-active --quiet firewalld.service 2>/dev/null; then echo running; firewall-cmd --list-all',
      'else echo missing; fi',
    ].join('\n'),
    sharesShell: true,
  },
  { key: 'fw:nft', command: 'if command -v nft >/dev/null; then nft -j list ruleset; else echo missing; fi', sharesShell: true },
  fileLinesFact('fw:nftconf', '/etc/nftables.conf', { matching: 'comment "fleet ' }),
  { key: 'fw:iptables', command: 'if command -v iptables >/dev/null; then iptables -S INPUT; else echo missing; fi', sharesShell: true },
];

/**
 * Names the firewall that filters the host's input, in the order a frontend wraps a backend
 * (ufw and firewalld program nftables or iptables underneath). None active is reported as such.
 */
export function detectFirewall(facts: ReadonlyMap<string, string>): FirewallState {
  const listings = {
    ufw: ufwListing(facts),
    firewalld: facts.get('fw:firewalld') ?? '',
    nft: facts.get('fw:nft') ?? '',
    nftConf: nftConfListing(parseFileLines(facts.get('fw:nftconf'))),
    iptables: facts.get('fw:iptables') ?? '',
  };
  if (/^ENABLED=["']?yes["']?\s*$/m.test(listings.ufw)) return { kind: 'ufw', listings };
  if (listings.firewalld.startsWith('running')) return { kind: 'firewalld', listings };
  const nftChain = findInputChain(listings.nft);
  if (nftChain) return { kind: 'nftables', nftChain, listings };
  if (/^-P INPUT (DROP|REJECT)/m.test(listings.iptables) || /^-A INPUT /m.test(listings.iptables)) return { kind: 'iptables', listings };
  return { kind: 'none', listings };
}

/** ufw's settings lines as the ufw backend reads them, or `missing` where ufw is not installed or has no ufw.conf. */
function ufwListing(facts: ReadonlyMap<string, string>): string {
  const files = Object.keys(UFW_SETTINGS).map((path) => parseFileLines(facts.get(`fw:ufw:${path}`)));
  if ((facts.get('fw:ufw-installed') ?? '').trim() !== 'installed' || !files[0]!.exists) return 'missing';
  return files.map((file) => file.text).join('');
}

/** `present` and the lines fleet wrote into /etc/nftables.conf, or `missing`. */
function nftConfListing(file: FileLines): string {
  return file.exists ? `present\n${file.text}` : 'missing';
}
