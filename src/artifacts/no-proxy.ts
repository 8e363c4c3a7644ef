import { BlockList, isIP } from 'node:net';

/**
 * Whether NO_PROXY exempts a URL from the proxy, by curl's rules (lib/noproxy.c, Curl_check_noproxy):
 * a list split at commas and blanks; `*` alone exempts everything; a name matches itself and its
 * subdomains (`example.com` and `.example.com` both cover `www.example.com`, not `notexample.com`),
 * case-insensitively and ignoring trailing dots; an IP host matches an IP or a CIDR (`10.0.0.0/8`,
 * `fd00::/8`). Beyond curl, as undici and Go do: `*.example.com` is `.example.com`, and `host:port`
 * (`[v6]:port`) matches that port only.
 */
export function bypassesProxy(url: URL, noProxy: string | undefined): boolean {
  const list = (noProxy ?? '').trim();
  if (!list) return false;
  if (list === '*') return true;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase().replace(/\.$/, '');
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const family = isIP(host);
  return list.split(/[\s,]+/).some((token) => {
    if (!token) return false;
    const entry = splitPort(token);
    if (entry.port !== undefined && entry.port !== port) return false;
    if (family) return matchesAddress(host, family, entry.host);
    const name = entry.host.toLowerCase().replace(/^\*/, '').replace(/^\./, '').replace(/\.$/, '');
    return name !== '' && (host === name || host.endsWith(`.${name}`));
  });
}

function splitPort(token: string): { host: string; port?: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(token);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] ? Number(bracketed[2]) : undefined };
  // One colon is a port; more are an IPv6 address without brackets.
  const parts = token.split(':');
  if (parts.length === 2 && /^\d+$/.test(parts[1]!)) return { host: parts[0]!, port: Number(parts[1]) };
  return { host: token };
}

function matchesAddress(host: string, family: number, entry: string): boolean {
  const [network = '', bits] = entry.split('/');
  const type = family === 6 ? 'ipv6' : 'ipv4';
  if (isIP(network) !== family) return false;
  const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) return false;
  const list = new BlockList();
  list.addSubnet(network, prefix, type);
  return list.check(host, type);
}
