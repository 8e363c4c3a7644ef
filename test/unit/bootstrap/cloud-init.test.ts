import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { runFleet } from '../../helpers/run-fleet.ts';
import { writeTempFiles } from '../../helpers/temp-files.ts';

// The part of cloud-init's cloud-config schema (cc_users_groups, cc_set_passwords, cc_ssh,
// cc_package_update_upgrade_install) that fleet writes, with the types the schema gives them.
const cloudConfig = z.strictObject({
  users: z.array(
    z.union([
      z.literal('default'),
      z.strictObject({
        name: z.string(),
        gecos: z.string().optional(),
        shell: z.string().optional(),
        lock_passwd: z.boolean().optional(),
        sudo: z.union([z.string(), z.array(z.string()), z.literal(false)]).optional(),
        ssh_authorized_keys: z.array(z.string().regex(/^(ssh-|ecdsa-|sk-)/)).optional(),
      }),
    ]),
  ),
  packages: z.array(z.string()).optional(),
  ssh_pwauth: z.boolean().optional(),
  disable_root: z.boolean().optional(),
});

describe('fleet cloud-init', () => {
  it('prints user-data that creates the deploy user with its key and passwordless sudo, and hardens when asked', async () => {
    const dir = writeTempFiles({
      'id_test.pub': 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTheTestOnly fleet-test\n',
      'inventory.yaml': 'defaults:\n  ssh: { user: ops, identity_file: id_test }\n  bootstrap: { harden_sshd: true }\nhosts:\n  web1: { address: 192.0.2.10 }\n',
    });
    const run = await runFleet(['cloud-init', join(dir, 'inventory.yaml')]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.startsWith('#cloud-config\n')).toBe(true);
    const data = cloudConfig.parse(parse(run.stdout));
    expect(data.users[1]).toMatchObject({ name: 'ops', sudo: 'ALL=(ALL:ALL) NOPASSWD: ALL', lock_passwd: true, ssh_authorized_keys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTheTestOnly fleet-test'] });
    expect([data.ssh_pwauth, data.disable_root]).toEqual([false, true]);
    // cloud-init's own schema check runs on a lab host: test/lab/cloud-init.test.ts.
  });

  it('says which file is wrong when the public key cannot be read', async () => {
    const dir = writeTempFiles({ 'inventory.yaml': 'defaults:\n  ssh: { user: ops, identity_file: missing_key }\nhosts:\n  web1: { address: 192.0.2.10 }\n' });
    const run = await runFleet(['cloud-init', join(dir, 'inventory.yaml')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`fleet: host web1: cannot read the public key ${join(dir, 'missing_key.pub')} (bootstrap.authorized_key_file)\n`);
  });
});
