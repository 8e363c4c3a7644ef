import { stringify } from 'yaml';

export interface CloudInitSpec {
  user: string;
  publicKey: string;
  hardenSshd: boolean;
}

/**
 * cloud-init user-data that creates the same deploy user, key and sudo rights as `fleet bootstrap`,
 * for VMs not created yet: the first apply can then log in as the deploy user directly.
 */
export function renderCloudInit(spec: CloudInitSpec): string {
  const data: Record<string, unknown> = {
    users: [
      'default',
      {
        name: spec.user,
        gecos: 'fleet deploy user',
        shell: '/bin/bash',
        lock_passwd: true,
        sudo: 'ALL=(ALL:ALL) NOPASSWD: ALL',
        ssh_authorized_keys: [spec.publicKey],
      },
    ],
    packages: ['sudo', 'curl'],
  };
  if (spec.hardenSshd) {
    data.ssh_pwauth = false;
    data.disable_root = true;
  }
  return `#cloud-config\n# Written by \`fleet cloud-init\`: the deploy user ${spec.user} of the inventory, ready for fleet apply.\n${stringify(data)}`;
}
