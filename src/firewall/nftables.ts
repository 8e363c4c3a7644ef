import { HostError } from '../connection/errors.ts';
import { shellCommand, shellQuote } from '../connection/quote.ts';
import type { FirewallState } from './detect.ts';
import type { FirewallBackend } from './rules.ts';

export interface NftChain {
  family: string;
  table: string;
  chain: string;
}

interface NftRule {
  chain: NftChain;
  handle: string;
  comment?: string;
  /** The rule's source match as nft writes it (`10.0.0.5`, `10.1.0.0/16`), 'any' without one. */
  saddr: string;
}

type NftObject = {
  chain?: { family: string; table: string; name: string; hook?: string; type?: string };
  rule?: { family: string; table: string; chain: string; handle: number; comment?: string; expr?: unknown[] };
};

/** The source address a rule matches, from its JSON expressions (`ip saddr` or `ip6 saddr`). */
function saddrOfExpressions(expressions: unknown[] = []): string {
  for (const expression of expressions as { match?: { left?: { payload?: { field?: string } }; right?: unknown } }[]) {
    const match = expression.match;
    if (match?.left?.payload?.field !== 'saddr') continue;
    const right = match.right as string | { prefix?: { addr: string; len: number } };
    if (typeof right === 'string') return right;
    if (right?.prefix) return `${right.prefix.addr}/${right.prefix.len}`;
  }
  return 'any';
}

/** Walks `nft -j list ruleset` and yields every rule with its chain, and every base chain with its hook. */
function* nftRules(listing: string): Generator<NftRule | { base: NftChain; hook: string }> {
  const text = listing.trim();
  if (text === '' || text === 'missing') return;
  let objects: NftObject[];
  try {
    objects = (JSON.parse(text) as { nftables: NftObject[] }).nftables;
  } catch {
    throw new HostError('command', `nft -j list ruleset did not print JSON (nftables built without JSON support?): ${text.split('\n')[0]!.slice(0, 120)}`);
  }
  for (const object of objects) {
    if (object.chain?.hook && object.chain.type === 'filter') yield { base: { family: object.chain.family, table: object.chain.table, chain: object.chain.name }, hook: object.chain.hook };
    const rule = object.rule;
    if (rule) yield { chain: { family: rule.family, table: rule.table, chain: rule.chain }, handle: String(rule.handle), comment: rule.comment, saddr: saddrOfExpressions(rule.expr) };
  }
}

/**
 * The operator's own input chain (inet, ip or ip6 family). Chains that iptables-nft or ufw created
 * (upper-case INPUT, ufw-*) belong to those tools and are not a sign of a hand-written nftables setup.
 */
export function findInputChain(listing: string): NftChain | undefined {
  const candidates: NftChain[] = [];
  for (const item of nftRules(listing)) {
    if ('base' in item && item.hook === 'input' && item.base.chain !== 'INPUT' && ['inet', 'ip', 'ip6'].includes(item.base.family)) candidates.push(item.base);
  }
  return candidates.find((chain) => chain.family === 'inet') ?? candidates[0];
}

const sameChain = (a: NftChain, b: NftChain) => a.family === b.family && a.table === b.table && a.chain === b.chain;
const saddrOf = (text: string) => /\bip6? saddr (\S+)/.exec(text)?.[1] ?? 'any';

function ruleText(source: string, port: number, tag: string): string {
  const match = source === 'any' ? '' : `${source.includes(':') ? 'ip6' : 'ip'} saddr ${source} `;
  return `${match}tcp dport ${port} accept comment "${tag}"`;
}

/** fleet's rules for one port: those in the chosen input chain carrying the port's tag. */
function taggedRules(state: FirewallState, tag: string): NftRule[] {
  const chain = state.nftChain!;
  return [...nftRules(state.listings.nft)].filter((item): item is NftRule => 'handle' in item && sameChain(item.chain, chain) && item.comment === tag);
}

const NOT_LOADABLE = "/etc/nftables.conf with fleet's rules does not pass `nft -c -f`; the file was left as it was (fix it by hand, then rerun)";

/** Rules go into the operator's input chain (an accept in a separate table would not override its drop). */
export const nftablesBackend: FirewallBackend = {
  current(state, _port, tag) {
    const rules = taggedRules(state, tag);
    if (!state.listings.nftConf.startsWith('present')) return { sources: rules.map((rule) => rule.saddr) };
    const persisted = state.listings.nftConf.split('\n').filter((line) => line.includes(`comment "${tag}"`)).map(saddrOf);
    return { sources: rules.map((rule) => rule.saddr), persisted };
  },
  script(state, port, tag, change) {
    const chain = state.nftChain!;
    const rules = taggedRules(state, tag);
    const commands: string[] = [];
    for (const rule of rules) if (change.remove.includes(rule.saddr)) commands.push(shellCommand('nft', 'delete', 'rule', chain.family, chain.table, chain.chain, 'handle', rule.handle));
    for (const source of change.add) commands.push(`nft ${shellQuote(`insert rule ${chain.family} ${chain.table} ${chain.chain} ${ruleText(source, port, tag)}`)}`);
    // Survive a reboot: keep the same lines at the end of /etc/nftables.conf, which Debian loads at boot.
    const persistent = change.desired.map((source) => `insert rule ${chain.family} ${chain.table} ${chain.chain} ${ruleText(source, port, tag)}`);
    commands.push(
      [
        'if [ -f /etc/nftables.conf ]; then',
        `tmp=$(mktemp /etc/.nftables.conf.fleet-XXXXXX) && { grep -vF ${shellQuote(`comment "${tag}"`)} /etc/nftables.conf; ${persistent.length ? `printf '%s\\n' ${persistent.map(shellQuote).join(' ')}` : 'true'}; } > "$tmp"`,
        // The boot-time `nft -f` loads nothing at all from a file with one bad line: check it before it goes live.
        `&& { nft -c -f "$tmp" >&2 || { rm -f "$tmp"; echo ${shellQuote(NOT_LOADABLE)} >&2; false; }; }`,
        '&& chmod --reference=/etc/nftables.conf "$tmp" && mv -f "$tmp" /etc/nftables.conf; fi',
      ].join(' '),
    );
    return commands.join(' && ');
  },
};
