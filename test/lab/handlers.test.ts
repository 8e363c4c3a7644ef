import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInLabHost } from '../../src/lab/lab.ts';
import { LAB_ALLOY_VERSIONS } from '../../src/lab/mirror.ts';
import { runFleet } from '../helpers/run-fleet.ts';
import { labUnavailable, useLabHosts, writeLabInventory } from './lab-hosts.ts';
import { useLabMirror } from './mirror.ts';

// A service that shows which config it started with, a config that notifies its restart, and a
// task after the config that fails when `later` names a folder that does not exist.
const PLAYBOOK = `tasks:
  - unit: { name: fleet-probe.service, src: probe.service.hbs }
    notify: [restart fleet-probe]
  - file: { path: /etc/fleet-probe.conf, content: "version={{vars.version}}\\n", mode: "0644" }
    notify: [restart fleet-probe]
  - file: { path: "{{vars.later}}", content: "later\\n", mode: "0644" }
  - service: { name: fleet-probe, ports: [] }
`;
const UNIT = `[Unit]
Description=fleet pending-handler probe
[Service]
ExecStart=/bin/sh -c 'cp /etc/fleet-probe.conf /run/fleet-probe.seen; exec sleep infinity'
[Install]
WantedBy=multi-user.target
`;

interface Report {
  hosts: { host: string; status: string; error?: { message: string }; result?: { changes: { resource: string; action: string; reason: string }[] } }[];
}

describe.skipIf(labUnavailable)('handlers survive failures and follow tag selection', () => {
  const hosts = useLabHosts([
    { name: 'handlers-a', index: 130 },
    { name: 'handlers-b', index: 131 },
  ]);
  const mirror = useLabMirror();
  const onHost = async (index: number, command: string) => (await runInLabHost(hosts[index]!, command)).stdout;

  it('a restart owed by a run that failed later is done by the next apply, and check reports it in between', { timeout: 300_000 }, async () => {
    const { dir, file } = await writeLabInventory([hosts[0]!]);
    await mkdir(join(dir, 'playbooks'));
    await mkdir(join(dir, 'templates'));
    await writeFile(join(dir, 'playbooks', 'probe.yaml'), PLAYBOOK);
    await writeFile(join(dir, 'templates', 'probe.service.hbs'), UNIT);
    const vars = (version: number, later: string) => ['probe', '-e', `version=${version}`, '-e', `later=${later}`];

    const first = await runFleet(['apply', file, ...vars(1, '/etc/fleet-probe-later')]);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(await onHost(0, 'cat /run/fleet-probe.seen')).toBe('version=1\n');

    // The config changes, then a later task fails: the handlers never run in this run.
    const failed = await runFleet(['apply', file, ...vars(2, '/nonexistent/folder/later'), '--json']);
    expect(failed.code).toBe(2);
    expect((JSON.parse(failed.stdout) as Report).hosts[0]!.error!.message).toContain('write /nonexistent/folder/later');
    expect(await onHost(0, 'cat /etc/fleet-probe.conf /run/fleet-probe.seen /var/lib/fleet/pending/fleet-probe')).toBe('version=2\nversion=1\nrestart file /etc/fleet-probe.conf\n');

    // Every file matches now, but the running process still has the old config: that is drift.
    const check = await runFleet(['check', file, ...vars(2, '/etc/fleet-probe-later')]);
    expect(check.code, check.stdout).toBe(2);
    expect(check.stdout).toContain('handlers-a: drift service fleet-probe: restart pending: file /etc/fleet-probe.conf changed in an earlier run that did not finish');
    expect(check.stdout).not.toMatch(/in sync/);

    const repair = await runFleet(['apply', file, ...vars(2, '/etc/fleet-probe-later'), '--json']);
    expect(repair.code, repair.stdout).toBe(0);
    const changes = (JSON.parse(repair.stdout) as Report).hosts[0]!.result!.changes.filter((change) => change.action !== 'same');
    expect(changes).toContainEqual({ resource: 'service fleet-probe', action: 'update', reason: 'restarted because pending since an earlier run (file /etc/fleet-probe.conf)' });
    expect(await onHost(0, 'cat /run/fleet-probe.seen; ls -A /var/lib/fleet/pending')).toBe('version=2\n');

    const clean = await runFleet(['check', file, ...vars(2, '/etc/fleet-probe-later')]);
    expect(clean.code, clean.stdout).toBe(0);
    expect(clean.stdout).toMatch(/handlers-a\s+in sync/);
  });

  it('--tags config changes config.alloy and still reloads Alloy and runs its checks', { timeout: 300_000 }, async () => {
    const inventory = (vars: Record<string, unknown>) => writeLabInventory([hosts[1]!], '', { mirrorUrl: mirror.url, vars });
    const { file } = await inventory({ alloy: { version: LAB_ALLOY_VERSIONS[0] } });
    expect((await runFleet(['apply', file, 'alloy'], mirror.env)).code).toBe(0);
    const pid = await onHost(1, 'systemctl show -p MainPID --value alloy');

    const { file: withLoki } = await inventory({ alloy: { version: LAB_ALLOY_VERSIONS[0], loki_url: 'http://10.213.0.1:3100/loki/api/v1/push' } });
    const run = await runFleet(['apply', withLoki, 'alloy', '--tags', 'config', '--json'], mirror.env);
    expect(run.code, run.stdout).toBe(0);
    const changes = (JSON.parse(run.stdout) as Report).hosts[0]!.result!.changes;
    expect(changes.filter((change) => change.action !== 'same').map((change) => `${change.action} ${change.resource}: ${change.reason}`)).toEqual([
      'update file /etc/alloy/config.alloy: content differs',
      'update service alloy: reloaded because file /etc/alloy/config.alloy changed',
    ]);
    // The service (its plan, then its handler) and its three checks came along with the config task; nothing else did.
    expect(changes.map((change) => change.resource.split(' ')[0])).toEqual(['file', 'service', 'service', 'http', 'http', 'http']);
    expect(await onHost(1, 'systemctl show -p MainPID --value alloy')).toBe(pid);
    // Real Alloy's metric: the running process now runs the new config (same PID, so reloaded, not restarted).
    const loaded = (await onHost(1, 'sha256sum /etc/alloy/config.alloy')).split(' ')[0];
    expect(await (await fetch(`http://${hosts[1]!.address}:12345/metrics`)).text()).toMatch(new RegExp(`^alloy_config_hash\\{[^}]*sha256="${loaded}"\\} 1$`, 'm'));

    // --skip-tags the other way round: everything but the config, so nothing to do and no reload.
    const skipped = await runFleet(['apply', file, 'alloy', '--skip-tags', 'config', '--json'], mirror.env);
    const kept = (JSON.parse(skipped.stdout) as Report).hosts[0]!.result!.changes;
    expect(kept.some((change) => change.resource === 'file /etc/alloy/config.alloy')).toBe(false);
    expect(kept.filter((change) => change.action !== 'same')).toEqual([]);
  });
});
