import { shellCommand, shellQuote } from '../connection/quote.ts';
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
      persistScript(change.desired.map((source) => `-A INPUT ${ruleSpec(source, port, tag).map((word) => (word === tag ? `"${tag}"` : word)).join(' ')}`), tag),
    ].join(' && ');
  },
};

/**
 * Saves fleet's rules for one port into /etc/iptables/rules.v4 (read at boot by iptables-persistent)
 * by editing the file, not by `iptables-save`: that would persist every runtime rule too, fail2ban's
 * bans and docker's chains included, which their owners recreate themselves. The result must pass
 * `iptables-restore --test` before it replaces the file.
 */
function persistScript(lines: string[], tag: string): string {
  const file = '/etc/iptables/rules.v4';
  const empty = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n';
  // Drop fleet's old lines for the port; put the wanted ones first in the filter table's rules.
  const awk = [
    'BEGIN { n = split(rules, wanted, "\\n") }',
    'index($0, marker) { next }',
    '/^\\*filter/ { filter = 1 }',
    'filter && !done && (/^-A / || /^COMMIT/) { for (i = 1; i <= n; i++) if (wanted[i] != "") print wanted[i]; done = 1 }',
    '{ print }',
  ].join(' ');
  return [
    'if [ -d /etc/iptables ]; then',
    `tmp=$(mktemp /etc/iptables/.rules.v4.fleet-XXXXXX) && { if [ -s ${file} ]; then cat ${file}; else printf ${shellQuote(empty)}; fi; } |`,
    `awk -v marker=${shellQuote(`--comment "${tag}"`)} -v rules=${shellQuote(lines.join('\\n'))} ${shellQuote(awk)} > "$tmp"`,
    `&& { iptables-restore --test < "$tmp" >&2 || { rm -f "$tmp"; echo ${shellQuote(`${file} with fleet's rules does not pass iptables-restore --test; the file was left as it was`)} >&2; false; }; }`,
    `&& mv -f "$tmp" ${file}; fi`,
  ].join(' ');
}
