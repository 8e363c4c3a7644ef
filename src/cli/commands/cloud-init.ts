import type { Command } from 'commander';
import type { CloudInitSpec } from '../../bootstrap/cloud-init.ts';
import { UsageError } from '../../errors.ts';

export function registerCloudInit(program: Command): void {
  program
    .command('cloud-init')
    .summary('print cloud-init user-data that creates the deploy user, for VMs not created yet')
    .description(
      'Prints #cloud-config user-data with the deploy user (ssh.user), its public key (bootstrap.authorized_key_file, default ' +
        'ssh.identity_file + .pub), passwordless sudo, and with bootstrap.harden_sshd no password or root logins. Pass it to the ' +
        'VM at creation; fleet apply then logs in as the deploy user directly.\n\nExample:\n  fleet cloud-init inventory.yaml --limit web > user-data.yaml',
    )
    .argument('<inventory>', 'inventory YAML file')
    .option('-l, --limit <pattern>', 'the hosts the VMs will be (they must share the deploy user, key and hardening)')
    .action(async (inventoryFile: string, options: { limit?: string }) => {
      // Loaded when the command runs, not at start-up (see main.ts).
      const { loadHosts } = await import('../load-hosts.ts');
      const { readAuthorizedKey } = await import('../../bootstrap/bootstrap.ts');
      const { renderCloudInit } = await import('../../bootstrap/cloud-init.ts');
      const { selected } = await loadHosts(inventoryFile, { limit: options.limit });
      if (selected.length === 0) throw new UsageError('no hosts selected');
      const specs = new Map<string, CloudInitSpec>();
      for (const host of selected) {
        const spec = { user: host.ssh.user, publicKey: await readAuthorizedKey(host), hardenSshd: host.bootstrap.hardenSshd };
        specs.set(JSON.stringify(spec), spec);
      }
      if (specs.size > 1) throw new UsageError('the selected hosts differ in deploy user, key or hardening; narrow them with --limit');
      process.stdout.write(renderCloudInit([...specs.values()][0]!));
    });
}
