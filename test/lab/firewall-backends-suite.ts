import { mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LabSuite } from '../../src/lab/rootfs.ts';
import { runFleet } from '../helpers/run-fleet.ts';
import { labUnavailable, onLabHost, useLabHosts, writeLabInventory } from './lab-hosts.ts';

/**
 * 'refused' when packets reach the port (nothing listens there), 'dropped' or 'rejected' when the
 * firewall swallows them or answers for the host.
 */
function probe(address: string, port: number): Promise<'refused' | 'rejected' | 'dropped' | 'open'> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port, timeout: 1500 });
    socket.on('connect', () => (socket.destroy(), resolve('open')));
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED' ? 'refused' : 'rejected'));
    socket.on('timeout', () => (socket.destroy(), resolve('dropped')));
  });
}

async function writePlaybooks(dir: string): Promise<void> {
  await mkdir(join(dir, 'playbooks'));
  await writeFile(join(dir, 'playbooks', 'open.yaml'), 'tasks:\n  - firewall: { port: 9300, sources: [10.213.0.1] }\n');
  await writeFile(join(dir, 'playbooks', 'close.yaml'), 'tasks:\n  - firewall: { port: 9300, state: absent }\n');
}

/** The firewall backends suite, run on Debian 12 and Debian 13 hosts (one file each, in parallel); two address indexes from `first`. */
export function firewallBackendsSuite(suite: LabSuite, first: number): void {
  describe.skipIf(labUnavailable)(`firewall port on hosts filtered by plain iptables and by firewalld, Debian ${suite === 'bookworm' ? 12 : 13}`, () => {
    const tag = suite === 'bookworm' ? '' : '-13';
    const hosts = useLabHosts([
      { name: `fw-iptables${tag}`, index: first, suite },
      { name: `fw-firewalld${tag}`, index: first + 1, suite },
    ]);

    it('opens the port with one tagged rule, saves it for the next boot, changes nothing twice, and closes it again', async () => {
      const host = hosts[0]!;
      await onLabHost(host, 'mkdir -p /etc/iptables && iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT && iptables -A INPUT -p tcp --dport 22 -j ACCEPT && iptables -P INPUT DROP');
      // What the operator saved, then runtime rules of other tools (fail2ban's ban chain) that must not be persisted.
      await onLabHost(host, 'iptables-save > /etc/iptables/rules.v4 && iptables -N f2b-sshd && iptables -A f2b-sshd -s 192.0.2.66 -j REJECT && iptables -I INPUT -p tcp --dport 22 -j f2b-sshd');
      const { dir, file } = await writeLabInventory([host]);
      await writePlaybooks(dir);
      expect(await probe(host.address, 9300)).toBe('dropped');

      const opened = await runFleet(['apply', file, 'open']);
      expect(opened.code, opened.stderr).toBe(0);
      expect(opened.stdout).toContain(`${host.name}: create firewall 9300/tcp (iptables: closed -> open to 10.213.0.1)`);
      expect(await onLabHost(host, 'iptables -S INPUT | grep fleet; grep -c "fleet 9300/tcp" /etc/iptables/rules.v4')).toBe(
        '-A INPUT -s 10.213.0.1/32 -p tcp -m tcp --dport 9300 -m comment --comment "fleet 9300/tcp" -j ACCEPT\n1\n',
      );
      expect(await probe(host.address, 9300)).toBe('refused');
      expect(await onLabHost(host, 'grep -c f2b /etc/iptables/rules.v4 || true; grep -c -- "--dport 22 -j ACCEPT" /etc/iptables/rules.v4; iptables-restore --test < /etc/iptables/rules.v4 && echo loadable')).toBe('0\n1\nloadable\n');
      expect((await runFleet(['apply', file, 'open'])).stdout).toMatch(new RegExp(`${host.name}\\s+ok\\s+ok=1\\s+changed=0`));

      expect((await runFleet(['apply', file, 'close'])).code).toBe(0);
      expect(await onLabHost(host, 'iptables -S INPUT | grep -c fleet || true; grep -c fleet /etc/iptables/rules.v4 || true')).toBe('0\n0\n');
      await onLabHost(host, 'iptables-restore --test < /etc/iptables/rules.v4');
      expect(await probe(host.address, 9300)).toBe('dropped');
    });

    it('with firewalld: runtime and permanent rules together, idempotent, and removable', async () => {
      const host = hosts[1]!;
      expect(await onLabHost(host, 'systemctl start firewalld && firewall-cmd --state 2>&1')).toBe('running\n');
      const { dir, file } = await writeLabInventory([host]);
      await writePlaybooks(dir);
      expect(await probe(host.address, 9300)).toBe('rejected');

      const opened = await runFleet(['apply', file, 'open']);
      expect(opened.code, opened.stderr).toBe(0);
      expect(opened.stdout).toContain(`${host.name}: create firewall 9300/tcp (firewalld: closed -> open to 10.213.0.1)`);
      const rule = 'rule family="ipv4" source address="10.213.0.1" port port="9300" protocol="tcp" accept';
      expect(await onLabHost(host, 'firewall-cmd --list-rich-rules; firewall-cmd --permanent --list-rich-rules')).toBe(`${rule}\n${rule}\n`);
      expect(await probe(host.address, 9300)).toBe('refused');
      expect((await runFleet(['apply', file, 'open'])).stdout).toMatch(new RegExp(`${host.name}\\s+ok\\s+ok=1\\s+changed=0`));

      expect((await runFleet(['apply', file, 'close'])).code).toBe(0);
      expect(await onLabHost(host, 'firewall-cmd --list-rich-rules; firewall-cmd --permanent --list-rich-rules')).toBe('\n\n');
      expect(await probe(host.address, 9300)).toBe('rejected');
    });
  });
}
