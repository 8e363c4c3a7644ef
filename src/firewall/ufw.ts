import { shellCommand } from '../connection/quote.ts';
import type { FirewallBackend } from './rules.ts';

const normalize = (from: string) => (from.startsWith('Anywhere') ? 'any' : from);

/** ufw keeps its rules across reboots itself; fleet's carry a comment so `ufw status` shows whose they are. */
export const ufwBackend: FirewallBackend = {
  current(state, port, tag) {
    const sources = new Set<string>();
    for (const line of state.listings.ufw.split('\n')) {
      const match = /^(\S+)(?: \(v6\))?\s+ALLOW(?: IN)?\s+(.+?)\s+# (.+)$/.exec(line.trim());
      if (match && match[1] === `${port}/tcp` && match[3]!.trim() === tag) sources.add(normalize(match[2]!.trim()));
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
