import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInLabHost } from '../../src/lab/lab.ts';
import { runFleet } from '../helpers/run-fleet.ts';
import { writeTempFiles } from '../helpers/temp-files.ts';
import { labUnavailable, onLabHost, useLabHosts } from './lab-hosts.ts';

/** Writes user-data into the lab host and runs Debian 12's own `cloud-init schema` on it. */
async function cloudInitSchema(host: Parameters<typeof onLabHost>[0], userData: string) {
  await onLabHost(host, `cat > /tmp/user-data <<'FLEET_EOF'\n${userData}FLEET_EOF`);
  return runInLabHost(host, 'cloud-init schema --config-file /tmp/user-data');
}

describe.skipIf(labUnavailable)('fleet cloud-init user-data against the cloud-init of a Debian 12 host', () => {
  // The lab image carries cloud-init (disabled at boot) for exactly this check.
  const hosts = useLabHosts([{ name: 'cloud-init', index: 126 }]);

  it('cloud-init schema accepts what fleet prints, and rejects a broken variant of it', async () => {
    const dir = writeTempFiles({
      'id_test.pub': 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTheTestOnly fleet-test\n',
      'inventory.yaml': 'defaults:\n  ssh: { user: ops, identity_file: id_test }\n  bootstrap: { harden_sshd: true }\nhosts:\n  web1: { address: 192.0.2.10 }\n',
    });
    const run = await runFleet(['cloud-init', join(dir, 'inventory.yaml')]);
    expect(run.code, run.stderr).toBe(0);
    const valid = await cloudInitSchema(hosts[0]!, run.stdout);
    expect([valid.code, valid.stdout.trim()], valid.stderr).toEqual([0, 'Valid cloud-config: /tmp/user-data']);

    // The same check refuses a type error, so the pass above means something.
    const broken = await cloudInitSchema(hosts[0]!, run.stdout.replace('ssh_pwauth: false', 'ssh_pwauth: [not, a, boolean]'));
    expect(broken.code).not.toBe(0);
    expect(broken.stdout + broken.stderr).toContain('ssh_pwauth');
  });
});
