import { shellCommand } from '../connection/quote.ts';
import type { FirewallBackend } from './rules.ts';

function ruleSpec(source: string, port: number, tag: string): string[] {
  return [...(source === 'any' ? [] : ['-s', source]), '-p', 'tcp', '-m', 'tcp', '--dport', String(port), '-m', 'comment', '--comment', tag, '-j', 'ACCEPT'];
}

/** IPv4 INPUT rules; saved to /etc/iptables/rules.v4 when iptables-persistent keeps that file. */
export const iptablesBackend: FirewallBackend = {
  current(state, port, tag) {
    const sources = state.listings.iptables
      .split('\n')
      .filter((line) => line.startsWith('-A INPUT ') && line.includes(`--comment "${tag}"`) && line.includes(`--dport ${port} `))
      .map((line) => (/ -s (\S+)/.exec(line)?.[1] ?? 'any').replace(/\/32$/, ''));
    return { sources };
  },
  script(_state, port, tag, change) {
    return [
      ...change.remove.map((source) => shellCommand('iptables', '-D', 'INPUT', ...ruleSpec(source, port, tag))),
      ...change.add.map((source) => shellCommand('iptables', '-I', 'INPUT', ...ruleSpec(source, port, tag))),
      'if [ -d /etc/iptables ]; then tmp=$(mktemp /etc/iptables/.rules.v4.fleet-XXXXXX) && iptables-save > "$tmp" && mv -f "$tmp" /etc/iptables/rules.v4; fi',
    ].join(' && ');
  },
};
