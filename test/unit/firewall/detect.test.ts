import { describe, expect, it } from 'vitest';
import { detectFirewall } from '../../../src/firewall/detect.ts';
import { nftablesBackend } from '../../../src/firewall/nftables.ts';
import { ufwBackend } from '../../../src/firewall/ufw.ts';
import { iptablesBackend } from '../../../src/firewall/iptables.ts';
import { firewallPortResource } from '../../../src/resources/firewall-port.ts';
import { factsFrom } from '../../helpers/facts.ts';

const UFW_ACTIVE = `Status: active

To                         Action      From
--                         ------      ----
22/tcp                     ALLOW       Anywhere
9100/tcp                   ALLOW       10.0.0.5                   # fleet 9100/tcp
9100/tcp                   ALLOW       10.0.0.9                   # someone else
12345/tcp                  ALLOW       Anywhere                   # fleet 12345/tcp
12345/tcp (v6)             ALLOW       Anywhere (v6)              # fleet 12345/tcp
`;
const NFT = `table inet filter { # handle 1
\tchain input { # handle 1
\t\ttype filter hook input priority filter; policy drop;
\t\tip saddr 10.0.0.5 tcp dport 9100 accept comment "fleet 9100/tcp" # handle 7
\t\ttcp dport 22 accept # handle 4
\t}
}
table ip filter { # handle 2
\tchain INPUT { # handle 1
\t\ttype filter hook input priority filter; policy accept;
\t}
}
`;
const IPTABLES = `-P INPUT ACCEPT
-A INPUT -s 10.0.0.5/32 -p tcp -m tcp --dport 9100 -m comment --comment "fleet 9100/tcp" -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
`;
const none = { 'fw:ufw': 'Status: inactive\n', 'fw:firewalld': 'missing\n', 'fw:nft': '', 'fw:nftconf': 'missing\n', 'fw:iptables': '-P INPUT ACCEPT\n' };

describe('firewall detection', () => {
  it('prefers the frontend (ufw) over the nftables and iptables rules it programs', () => {
    expect(detectFirewall(new Map(Object.entries({ ...none, 'fw:ufw': UFW_ACTIVE, 'fw:nft': NFT, 'fw:iptables': IPTABLES }))).kind).toBe('ufw');
  });

  it('finds the operator\'s nftables input chain and ignores the one iptables-nft made', () => {
    const state = detectFirewall(new Map(Object.entries({ ...none, 'fw:nft': NFT })));
    expect(state).toMatchObject({ kind: 'nftables', nftChain: { family: 'inet', table: 'filter', chain: 'input' } });
  });

  it('reports iptables only when it filters something, and none otherwise', () => {
    expect(detectFirewall(new Map(Object.entries({ ...none, 'fw:iptables': IPTABLES }))).kind).toBe('iptables');
    expect(detectFirewall(new Map(Object.entries(none))).kind).toBe('none');
  });
});

describe('reading fleet\'s own rules', () => {
  it('ufw: only rules tagged by fleet, v4 and v6 lines counted once', () => {
    const state = detectFirewall(new Map(Object.entries({ ...none, 'fw:ufw': UFW_ACTIVE })));
    expect(ufwBackend.current(state, 9100, 'fleet 9100/tcp').sources).toEqual(['10.0.0.5']);
    expect(ufwBackend.current(state, 12345, 'fleet 12345/tcp').sources).toEqual(['any']);
  });

  it('nftables and iptables: the source of each tagged rule', () => {
    const nft = detectFirewall(new Map(Object.entries({ ...none, 'fw:nft': NFT })));
    expect(nftablesBackend.current(nft, 9100, 'fleet 9100/tcp').sources).toEqual(['10.0.0.5']);
    const ipt = detectFirewall(new Map(Object.entries({ ...none, 'fw:iptables': IPTABLES })));
    expect(iptablesBackend.current(ipt, 9100, 'fleet 9100/tcp').sources).toEqual(['10.0.0.5']);
  });

  it('plans the difference between wanted and present sources, and says so when no firewall runs', () => {
    const resource = firewallPortResource({ port: 9100, sources: ['10.0.0.6'], state: 'present' });
    expect(resource.plan(factsFrom({ ...none, 'fw:nft': NFT }))).toMatchObject({ action: 'update', reason: 'nftables: open to 10.0.0.5 -> open to 10.0.0.6' });
    expect(resource.plan(factsFrom(none))).toMatchObject({ action: 'same', reason: expect.stringContaining('no active firewall on the host') });
  });

  it('quotes every value it puts into the nftables script', () => {
    const state = detectFirewall(new Map(Object.entries({ ...none, 'fw:nft': NFT })));
    const script = nftablesBackend.script(state, 9100, 'fleet 9100/tcp', { add: ['10.0.0.6'], remove: ['10.0.0.5'], desired: ['10.0.0.6'] });
    expect(script).toContain("nft delete rule inet filter input handle 7");
    expect(script).toContain(`nft 'insert rule inet filter input ip saddr 10.0.0.6 tcp dport 9100 accept comment "fleet 9100/tcp"'`);
  });
});
