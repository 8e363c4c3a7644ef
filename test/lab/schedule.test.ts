import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { labKeyPath } from '../../src/lab/layout.ts';
import { PACKAGE_ROOT } from '../../src/package-root.ts';
import { runFleet } from '../helpers/run-fleet.ts';
import { labUnavailable, onLabHost, useLabHosts, writeLabInventory } from './lab-hosts.ts';
import { useLabMirror } from './mirror.ts';

/**
 * `fleet schedule --install` runs on the machine that will run the checks, with its systemd. A lab
 * host has systemd but no Node: this test lends it the controller's node binary and this checkout,
 * read-only and at the same paths, so the unit's ExecStart (absolute paths taken from the running
 * fleet) is exactly what an operator's machine would run. The host then checks itself over SSH.
 */
describe.skipIf(labUnavailable)('fleet schedule --install on a machine with systemd (a lab host)', () => {
  const hosts = useLabHosts([{ name: 'sched', index: 125, bindReadOnly: [process.execPath, PACKAGE_ROOT] }]);
  const mirror = useLabMirror();
  const onHost = (command: string) => onLabHost(hosts[0]!, command);

  it('enables a timer systemd lists, and one run of the check writes the metrics file Node Exporter serves, with no secret in its journal', async () => {
    // Node Exporter behind basic auth: the scheduled check needs the password (from the unit's environment file).
    const password = 'sched-secret-horse-42';
    const web = { basic_auth_user: 'prometheus', basic_auth_password_env: 'NE_PASSWORD' };
    const { file } = await writeLabInventory(hosts, '', { mirrorUrl: mirror.url, vars: { node_exporter: { version: '1.5.0', web } } });
    const applied = await runFleet(['apply', file], { ...mirror.env, NE_PASSWORD: password });
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);

    // The same inventory on the host, with the lab key and a known_hosts file of its own there.
    const onHostInventory = (await readFile(file, 'utf8'))
      .replace(/identity_file: .*/, 'identity_file: /root/fleet/id_ed25519')
      .replace(/known_hosts_file: .*/, 'known_hosts_file: /root/fleet/known_hosts');
    const key = (await readFile(labKeyPath())).toString('base64');
    await onHost(`mkdir -p -m 700 /root/fleet && echo ${key} | base64 -d > /root/fleet/id_ed25519 && chmod 600 /root/fleet/id_ed25519 && cat > /root/fleet/inventory.yaml <<'FLEET_EOF'\n${onHostInventory}FLEET_EOF`);

    const install = await onHost(`env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root ${process.execPath} ${PACKAGE_ROOT}/bin/fleet.js schedule /root/fleet/inventory.yaml --every 15m --install`);
    expect(install).toBe('wrote /etc/systemd/system/fleet-check.service and fleet-check.timer\nenabled fleet-check.timer: every 15 minutes\n');
    expect(await onHost('systemctl is-enabled fleet-check.timer; systemctl is-active fleet-check.timer')).toBe('enabled\nactive\n');
    expect(await onHost('systemctl list-timers --all --no-pager fleet-check.timer')).toMatch(/fleet-check\.timer\s+fleet-check\.service/);

    await onHost(`umask 077 && echo NE_PASSWORD=${password} > /etc/default/fleet-check`);
    // One run, started by hand rather than waiting out the timer's first 5 minutes.
    await onHost('systemctl start fleet-check.service || { journalctl -u fleet-check.service --no-pager | tail -25; systemctl cat fleet-check.service; exit 1; }');
    expect(await onHost('systemctl show -p Result,ExecMainStatus --value fleet-check.service')).toBe('success\n0\n');
    const metrics = await onHost('cat /var/lib/node_exporter/textfile_collector/fleet.prom');
    expect(metrics).toContain('fleet_host_drifted_resources{host="sched"} 0\n');
    expect(metrics).toContain('fleet_host_reachable{host="sched"} 1\n');
    // And the Node Exporter fleet installed serves it to Prometheus.
    const authorization = `Basic ${Buffer.from(`prometheus:${password}`).toString('base64')}`;
    expect(await (await fetch(`http://${hosts[0]!.address}:9100/metrics`, { headers: { authorization } })).text()).toContain('fleet_host_drifted_resources{host="sched"} 0');
    // The password reached the check (it verified the endpoints with it) but none of what the run left behind.
    expect(await onHost(`journalctl -u fleet-check.service --no-pager | grep -c -- ${password} || true`)).toBe('0\n');
    expect(metrics).not.toContain(password);
    expect(await onHost(`grep -rlF -- ${password} /var/lib/fleet /etc/node_exporter /root/fleet || true`)).toBe('');
  });
});
