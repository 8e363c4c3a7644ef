import { shellCommand } from '../connection/quote.ts';
import type { FirewallBackend } from './rules.ts';

function richRule(source: string, port: number): string {
  return `rule family="${source.includes(':') ? 'ipv6' : 'ipv4'}" source address="${source}" port port="${port}" protocol="tcp" accept`;
}

/**
 * Runtime and permanent configuration are changed together, so a reload or reboot keeps the rule.
 * The runtime state is read from `firewall-cmd --list-all` of the default zone (one Python start).
 */
export const firewalldBackend: FirewallBackend = {
  current(state, port) {
    const ports = /^\s*ports:(.*)$/m.exec(state.listings.firewalld)?.[1] ?? '';
    const sources = ports.trim().split(/\s+/).includes(`${port}/tcp`) ? ['any'] : [];
    for (const line of state.listings.firewalld.split('\n')) {
      const match = /source address="([^"]+)" port port="(\d+)" protocol="tcp" accept/.exec(line);
      if (match && Number(match[2]) === port) sources.push(match[1]!);
    }
    return { sources };
  },
  script(_state, port, _tag, change) {
    const option = (verb: 'add' | 'remove', source: string) => (source === 'any' ? `--${verb}-port=${port}/tcp` : `--${verb}-rich-rule=${richRule(source, port)}`);
    const commands: string[] = [];
    for (const [verb, sources] of [['remove', change.remove], ['add', change.add]] as const) {
      for (const source of sources) commands.push(shellCommand('firewall-cmd', '--permanent', option(verb, source)), shellCommand('firewall-cmd', option(verb, source)));
    }
    return commands.join(' && ');
  },
};
