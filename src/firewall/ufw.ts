import { shellCommand } from '../connection/quote.ts';
import type { FirewallBackend } from './rules.ts';

const normalize = (source: string) => (source === '0.0.0.0/0' || source === '::/0' ? 'any' : source);

/**
 * ufw keeps its rules across reboots itself; fleet's carry a comment so `ufw status` shows whose they are.
 * The rules are read from the tuples ufw writes into user.rules and user6.rules, as ufw itself reads them:
 * `### tuple ### ACTION PROTO DPORT DST SPORT SRC DIRECTION[ comment=HEX]` (ufw/src/backend_iptables.py).
 */
export const ufwBackend: FirewallBackend = {
  current(state, port, tag) {
    const sources = new Set<string>();
    for (const line of state.listings.ufw.split('\n')) {
      const match = /^### tuple ### (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (\S+)(?: comment=([0-9a-f]*))?\s*$/.exec(line.trim());
      if (!match) continue;
      const [, action, proto, dport, , , source, direction, comment = ''] = match;
      const ours = Buffer.from(comment, 'hex').toString('utf8') === tag;
      if (ours && action === 'allow' && proto === 'tcp' && dport === String(port) && direction === 'in') sources.add(normalize(source!));
    }
    return { sources: [...sources] };
  },
  script(_state, port, tag, change) {
    const rule = (source: string) => ['proto', 'tcp', 'from', source, 'to', 'any', 'port', String(port)];
    return [
      ...change.remove.map((source) => shellCommand('ufw', 'delete', 'allow', ...rule(source))),
      ...change.add.map((source) => shellCommand('ufw', 'allow', ...rule(source), 'comment', tag)),
    ].join(' && ');
  },
};
