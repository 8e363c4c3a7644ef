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
 * rule tuples in user.rules and user6.rules), and firewall-cmd runs only where the firewalld unit is active.
 */
export const FIREWALL_FACTS: FactRequest[] = [
  {
    key: 'fw:ufw',
    command: "if [ -f /etc/ufw/ufw.conf ] && command -v ufw >/dev/null; then grep -h -e '^ENABLED=' -e '^### tuple ###' /etc/ufw/ufw.conf /etc/ufw/user.rules /etc/ufw/user6.rules 2>/dev/null || true; else echo missing; fi",
  },
  {
    key: 'fw:firewalld',
    command: 'if command -v firewall-cmd >/dev/null && systemctl is-active --quiet firewalld.service 2>/dev/null; then echo running; firewall-cmd --list-all; else echo missing; fi',
  },
  { key: 'fw:nft', command: 'if command -v nft >/dev/null; then nft -j list ruleset; else echo missing; fi' },
  { key: 'fw:nftconf', command: 'if [ -f /etc/nftables.conf ]; then echo present; grep -F \'comment "fleet \' /etc/nftables.conf || true; else echo missing; fi' },
  { key: 'fw:iptables', command: 'if command -v iptables >/dev/null; then iptables -S INPUT; else echo missing; fi' },
];

/**
 * Names the firewall that filters the host's input, in the order a frontend wraps a backend
 * (ufw and firewalld program nftables or iptables underneath). None active is reported as such.
 */
export function detectFirewall(facts: ReadonlyMap<string, string>): FirewallState {
  const listings = {
    ufw: facts.get('fw:ufw') ?? '',
    firewalld: facts.get('fw:firewalld') ?? '',
    nft: facts.get('fw:nft') ?? '',
    nftConf: facts.get('fw:nftconf') ?? '',
    iptables: facts.get('fw:iptables') ?? '',
  };
  if (/^ENABLED=["']?yes["']?\s*$/m.test(listings.ufw)) return { kind: 'ufw', listings };
  if (listings.firewalld.startsWith('running')) return { kind: 'firewalld', listings };
  const nftChain = findInputChain(listings.nft);
  if (nftChain) return { kind: 'nftables', nftChain, listings };
  if (/^-P INPUT (DROP|REJECT)/m.test(listings.iptables) || /^-A INPUT /m.test(listings.iptables)) return { kind: 'iptables', listings };
  return { kind: 'none', listings };
}
