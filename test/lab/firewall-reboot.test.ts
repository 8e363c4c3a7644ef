import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { restartLabHost } from '../../src/lab/lab.ts';
import { runFleet } from '../helpers/run-fleet.ts';
import { enableNftables, labUnavailable, onLabHost, useLabHosts, writeLabInventory } from './lab-hosts.ts';

describe.skipIf(labUnavailable)('an opened port survives a reboot (nftables, a host that keeps its disk)', () => {
  // Persistent: a --volatile host would come back from the image, and prove nothing about a reboot.
  const hosts = useLabHosts([{ name: 'fw-reboot', index: 124, persistent: true }]);
  const ruleset = () => onLabHost(hosts[0]!, 'nft list ruleset');

  it('the rule fleet saved is loaded again at boot, and it is the only change to the ruleset', async () => {
    // The operator's own firewall, loaded at boot by Debian's nftables.service as the Debian wiki sets it up.
    await enableNftables(hosts[0]!);
    await onLabHost(hosts[0]!, 'systemctl enable nftables 2>/dev/null');
    const before = (await ruleset()).split('\n');

    const { dir, file } = await writeLabInventory([hosts[0]!]);
    await mkdir(join(dir, 'playbooks'));
    await writeFile(join(dir, 'playbooks', 'open.yaml'), 'tasks:\n  - firewall: { port: 9300, sources: [10.213.0.1] }\n');
    const opened = await runFleet(['apply', file, 'open']);
    expect(opened.code, opened.stdout + opened.stderr).toBe(0);
    // What fleet saved is a file nft loads, not just a line grep finds.
    await onLabHost(hosts[0]!, 'nft -c -f /etc/nftables.conf');
    const fleetRule = '\t\tip saddr 10.213.0.1 tcp dport 9300 accept comment "fleet 9300/tcp"';
    const live = (await ruleset()).split('\n');

    // /run is a tmpfs: a file there is gone after a real reboot, while /etc keeps what was written.
    await onLabHost(hosts[0]!, 'touch /run/fleet-before-reboot');
    const pidBefore = hosts[0]!.pid;
    hosts[0] = await restartLabHost(hosts[0]!);
    expect(hosts[0].pid).not.toBe(pidBefore);
    expect(await onLabHost(hosts[0]!, 'test -e /run/fleet-before-reboot && echo kept || echo rebooted; systemctl is-active nftables')).toBe('rebooted\nactive\n');
    const afterReboot = (await ruleset()).split('\n');
    expect(afterReboot).toEqual(live);
    // Compared with the operator's ruleset before fleet ran: one line more, fleet's, and nothing else moved.
    expect(afterReboot.filter((line) => !before.includes(line))).toEqual([fleetRule]);
    expect(before.filter((line) => !afterReboot.includes(line))).toEqual([]);
    // And fleet, run again after the reboot, finds nothing to do.
    const again = await runFleet(['apply', file, 'open']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/fw-reboot\s+ok\s+ok=1\s+changed=0/);
  });
});
