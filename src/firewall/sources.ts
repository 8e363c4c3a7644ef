import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { UsageError } from '../errors.ts';

const DNS_NAME = /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*\.?$/;

export interface NormalisedSources {
  /** IP addresses and CIDRs in the form the firewalls list them, without duplicates; 'any' for everyone. */
  sources: string[];
  /** Names resolved on the controller, for the plan: `monitor1 -> 10.0.0.5`. */
  resolved: string[];
}

/** The canonical text of an address: lower-case, IPv6 compressed (as nft, iptables and firewalld print it). */
function canonicalAddress(address: string): string {
  return isIP(address) === 6 ? new URL(`http://[${address}]`).hostname.slice(1, -1) : address;
}

/** An address or CIDR in canonical form (host bits cleared, /32 and /128 dropped), or undefined when it is neither. */
export function normaliseCidr(text: string): string | undefined {
  const [address = '', prefixText, ...rest] = text.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return undefined;
  if (family === 4 && address.split('.').some((octet) => octet.length > 1 && octet.startsWith('0'))) return undefined;
  const bits = family === 4 ? 32 : 128;
  if (prefixText === undefined) return canonicalAddress(address);
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) return undefined;
  const prefix = Number(prefixText);
  if (prefix === bits) return canonicalAddress(address);
  return `${networkOf(address, family, prefix)}/${prefix}`;
}

function networkOf(address: string, family: number, prefix: number): string {
  if (family === 4) {
    const value = address.split('.').reduce((sum, octet) => sum * 256n + BigInt(octet), 0n);
    const masked = prefix === 0 ? 0n : (value >> BigInt(32 - prefix)) << BigInt(32 - prefix);
    return [24n, 16n, 8n, 0n].map((shift) => String((masked >> shift) & 255n)).join('.');
  }
  const groups = new URL(`http://[${address}]`).hostname.slice(1, -1);
  const expanded = expandIpv6(groups);
  const value = expanded.reduce((sum, group) => sum * 65536n + BigInt(parseInt(group, 16)), 0n);
  const masked = prefix === 0 ? 0n : (value >> BigInt(128 - prefix)) << BigInt(128 - prefix);
  const parts = Array.from({ length: 8 }, (_, index) => ((masked >> BigInt(16 * (7 - index))) & 0xffffn).toString(16));
  return canonicalAddress(parts.join(':'));
}

function expandIpv6(address: string): string[] {
  const [head = '', tail] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  return tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
}

const resolutions = new Map<string, Promise<string[]>>();

/** Resolves a name on the controller, once per run whichever hosts and ports name it (/etc/hosts counts). */
function resolveOnce(name: string): Promise<string[]> {
  let pending = resolutions.get(name.toLowerCase());
  if (!pending) {
    pending = lookup(name, { all: true }).then((addresses) => [...new Set(addresses.map((entry) => canonicalAddress(entry.address)))].sort());
    resolutions.set(name.toLowerCase(), pending);
  }
  return pending;
}

/**
 * Turns firewall sources as written (addresses, CIDRs, DNS names) into what a firewall can hold: a name
 * would reach nftables as text (unresolvable at boot) and anything else could reach it as commands.
 */
export async function normaliseSources(sources: readonly string[], where: string): Promise<NormalisedSources> {
  const out = new Set<string>();
  const resolved: string[] = [];
  for (const source of sources) {
    if (source === 'any') {
      out.add('any');
      continue;
    }
    const cidr = normaliseCidr(source);
    if (cidr) {
      out.add(cidr === '0.0.0.0/0' || cidr === '::/0' ? 'any' : cidr);
      continue;
    }
    if (!DNS_NAME.test(source) || /^[\d.]+$/.test(source)) {
      throw new UsageError(`${where}: firewall source "${source}" is not an IP address, a CIDR (10.0.0.0/24) or a DNS name`);
    }
    const addresses = await resolveOnce(source).catch((error: NodeJS.ErrnoException) => {
      throw new UsageError(`${where}: firewall source "${source}" could not be resolved on the controller (${error.code ?? error.message}); give its IP address instead`);
    });
    addresses.forEach((address) => out.add(address));
    resolved.push(`${source} -> ${addresses.join(', ')}`);
  }
  return { sources: [...out], resolved };
}
