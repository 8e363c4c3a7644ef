import { fileLinesAnswer } from '../../../src/facts/file-lines.ts';
import { describe, expect, it } from 'vitest';
import { detectFirewall } from '../../../src/firewall/detect.ts';
import { nftablesBackend } from '../../../src/firewall/nftables.ts';
import { ufwBackend } from '../../../src/firewall/ufw.ts';
import { firewalldBackend } from '../../../src/firewall/firewalld.ts';
import { iptablesBackend } from '../../../src/firewall/iptables.ts';
import { firewallPortResource } from '../../../src/resources/firewall-port.ts';
import { factsFrom } from '../../helpers/facts.ts';

// ufw.conf's ENABLED line, then the tuples of user.rules and user6.rules, as captured on a lab host.
const hex = (text: string) => Buffer.from(text).toString('hex');
const UFW_ACTIVE = `ENABLED=yes
### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in
### tuple ### allow tcp 9100 0.0.0.0/0 any 10.0.0.5 in comment=${hex('fleet 9100/tcp')}
### tuple ### allow tcp 9100 0.0.0.0/0 any 10.0.0.9 in comment=${hex('someone else')}
### tuple ### deny tcp 9100 0.0.0.0/0 any 10.0.0.7 in comment=${hex('fleet 9100/tcp')}
### tuple ### allow tcp 12345 0.0.0.0/0 any 0.0.0.0/0 in comment=666c6565742031323334352f746370
### tuple ### allow tcp 22 ::/0 any ::/0 in
### tuple ### allow tcp 12345 ::/0 any ::/0 in comment=666c6565742031323334352f746370
`;
const FIREWALLD = `running
public (active)
  target: default
  services: dhcpv6-client ssh
  ports: 9300/tcp 8080/udp
  forward-ports: 
  source-ports: 9400/tcp
  rich rules: 
	rule family="ipv4" source address="10.213.0.1" port port="9400" protocol="tcp" accept
`;
// `nft -j list ruleset` (nftables 1.0.6, Debian 12): the operator's inet input chain with one of fleet's
// rules, and the chain iptables-nft made.
const NFT = JSON.stringify({
  nftables: [
    { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
    { table: { family: 'inet', name: 'filter', handle: 1 } },
    { chain: { family: 'inet', table: 'filter', name: 'input', handle: 1, type: 'filter', hook: 'input', prio: 0, policy: 'drop' } },
    { rule: { family: 'inet', table: 'filter', chain: 'input', handle: 7, comment: 'fleet 9100/tcp', expr: [{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: '10.0.0.5' } }, { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 9100 } }, { accept: null }] } },
    { rule: { family: 'inet', table: 'filter', chain: 'input', handle: 8, comment: 'fleet 9100/tcp', expr: [{ match: { op: '==', left: { payload: { protocol: 'ip6', field: 'saddr' } }, right: { prefix: { addr: 'fd00::', len: 8 } } } }, { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 9100 } }, { accept: null }] } },
    { rule: { family: 'inet', table: 'filter', chain: 'input', handle: 4, expr: [{ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 22 } }, { accept: null }] } },
    { table: { family: 'ip', name: 'filter', handle: 2 } },
    { chain: { family: 'ip', table: 'filter', name: 'INPUT', handle: 1, type: 'filter', hook: 'input', prio: 0, policy: 'accept' } },
  ],
});
const IPTABLES = `-P INPUT ACCEPT
-A INPUT -s 10.0.0.5/32 -p tcp -m tcp --dport 9100 -m comment --comment "fleet 9100/tcp" -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
`;
/** ufw installed, with these lines of ufw.conf and user.rules as the facts round trip reads them (user6.rules absent). */
const ufwFacts = (conf: string, rules: string) => ({
  'fw:ufw-installed': 'installed\n',
  'fw:ufw:/etc/ufw/ufw.conf': fileLinesAnswer(conf),
  'fw:ufw:/etc/ufw/user.rules': fileLinesAnswer(rules),
  'fw:ufw:/etc/ufw/user6.rules': fileLinesAnswer(undefined),
});
const ufwActive = () => ufwFacts('ENABLED=yes\n', UFW_ACTIVE.slice('ENABLED=yes\n'.length));
const none = { ...ufwFacts('ENABLED=no\n', '### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in\n'), 'fw:firewalld': 'missing\n', 'fw:nft': '', 'fw:nftconf': fileLinesAnswer(undefined), 'fw:iptables': '-P INPUT ACCEPT\n' };

describe('firewall detection', () => {
  it('prefers the frontend (ufw) over the nftables and iptables rules it programs', () => {
    expect(detectFirewall(new Map(Object.entries({ ...none, ...ufwActive(), 'fw:nft': NFT, 'fw:iptables': IPTABLES }))).kind).toBe('ufw');
  });

  it('takes ufw settings left behind by a removed ufw for no firewall of their own', () => {
    const leftBehind = { ...none, ...ufwActive(), 'fw:ufw-installed': 'missing\n', 'fw:nft': NFT };
    expect(detectFirewall(new Map(Object.entries(leftBehind)))).toMatchObject({ kind: 'nftables', listings: { ufw: 'missing' } });
  });

  it('finds the operator\'s nftables input chain and ignores the one iptables-nft made', () => {
    const state = detectFirewall(new Map(Object.entries({ ...none, 'fw:nft': NFT })));
    expect(state).toMatchObject({ kind: 'nftables', nftChain: { family: 'inet', table: 'filter', chain: 'input' } });
  });

  it('says what is wrong when nft prints no JSON', () => {
    expect(() => detectFirewall(new Map(Object.entries({ ...none, 'fw:nft': 'table inet filter {\n' })))).toThrow('nft -j list ruleset did not print JSON');
  });

  it('reports iptables only when it filters something, and none otherwise', () => {
    expect(detectFirewall(new Map(Object.entries({ ...none, 'fw:iptables': IPTABLES }))).kind).toBe('iptables');
    expect(detectFirewall(new Map(Object.entries(none))).kind).toBe('none');
  });
});

describe('reading fleet\'s own rules', () => {
  it('ufw: only rules tagged by fleet, v4 and v6 lines counted once', () => {
    const state = detectFirewall(new Map(Object.entries({ ...none, ...ufwActive() })));
    expect(ufwBackend.current(state, 9100, 'fleet 9100/tcp').sources).toEqual(['10.0.0.5']);
    expect(ufwBackend.current(state, 12345, 'fleet 12345/tcp').sources).toEqual(['any']);
  });

  it('firewalld: an open port is open to all, a rich rule to its source', () => {
    const state = detectFirewall(new Map(Object.entries({ ...none, 'fw:firewalld': FIREWALLD })));
    expect(state.kind).toBe('firewalld');
    expect(firewalldBackend.current(state, 9300, 'fleet 9300/tcp').sources).toEqual(['any']);
    expect(firewalldBackend.current(state, 9400, 'fleet 9400/tcp').sources).toEqual(['10.213.0.1']);
    expect(firewalldBackend.current(state, 8080, 'fleet 8080/tcp').sources).toEqual([]);
  });

  it('nftables and iptables: the source of each tagged rule', () => {
    const nft = detectFirewall(new Map(Object.entries({ ...none, 'fw:nft': NFT })));
    expect(nftablesBackend.current(nft, 9100, 'fleet 9100/tcp').sources).toEqual(['10.0.0.5', 'fd00::/8']);
    const ipt = detectFirewall(new Map(Object.entries({ ...none, 'fw:iptables': IPTABLES })));
    expect(iptablesBackend.current(ipt, 9100, 'fleet 9100/tcp').sources).toEqual(['10.0.0.5']);
  });

  it('plans the difference between wanted and present sources, and says so when no firewall runs', () => {
    const resource = firewallPortResource({ port: 9100, sources: ['10.0.0.6'], state: 'present' });
    expect(resource.plan(factsFrom({ ...none, 'fw:nft': NFT }))).toMatchObject({ action: 'update', reason: 'nftables: open to 10.0.0.5, fd00::/8 -> open to 10.0.0.6' });
    expect(resource.plan(factsFrom(none))).toMatchObject({ action: 'same', reason: expect.stringContaining('no active firewall on the host') });
  });

  it('quotes every value it puts into the nftables script', () => {
    const state = detectFirewall(new Map(Object.entries({ ...none, 'fw:nft': NFT })));
    const script = nftablesBackend.script(state, 9100, 'fleet 9100/tcp', { add: ['10.0.0.6'], remove: ['10.0.0.5', 'fd00::/8'], desired: ['10.0.0.6'] });
    expect(script).toContain('nft delete rule inet filter input handle 7');
    expect(script).toContain('nft delete rule inet filter input handle 8');
    expect(script).toContain(`nft 'insert rule inet filter input ip saddr 10.0.0.6 tcp dport 9100 accept comment "fleet 9100/tcp"'`);
  });
});
