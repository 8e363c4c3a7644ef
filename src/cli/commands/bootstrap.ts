import { dirname } from 'node:path';
import type { Command } from 'commander';
import type { BootstrapResult } from '../../bootstrap/bootstrap.ts';
import { diffReplacer } from '../output-diffs.ts';
import { succeededHosts, type HostOutcome } from '../../engine/events.ts';
import { collectBecomePasswords, collectPasswords } from '../become-passwords.ts';
import { color } from '../colors.ts';
import { addHostOptions, type CommonOptions } from '../common-options.ts';
import { exitCodeFor } from '../exit-codes.ts';
import { renderChanges } from '../render-changes.ts';
import { createProgress, formatSeconds, paintStatus } from '../reporter.ts';
import { formatTable } from '../table.ts';

interface BootstrapOptions extends CommonOptions {
  apply: boolean;
  trustNewHostKeys?: boolean;
}

export function registerBootstrap(program: Command): void {
  addHostOptions(
    program
      .command('bootstrap')
      .summary('make fresh VMs manageable (deploy user, key, sudo), then apply and register them')
      .description(
        'Logs in with the initial credentials of bootstrap: in the inventory (root with a password from bootstrap.password_env ' +
          'or a prompt, or the image\'s default user with bootstrap.identity_file) once the host key checks out (under strict: known, or recorded and printed with --trust-new-host-keys), creates the ' +
          'deploy user (ssh.user) with its key and a sudoers file checked by visudo, and proves a new key login works. Only then, ' +
          'when bootstrap.harden_sshd is true, turns off password and root logins (checked by sshd -t, undone if a new login fails). ' +
          'Then runs apply as the deploy user. A host where the deploy user already works is left as it is.\n\n' +
          'Example:\n  FLEET_INITIAL_PASSWORD=... fleet bootstrap inventory.yaml --limit new-vms',
      )
      .argument('<inventory>', 'inventory YAML file')
      .option('--no-apply', 'stop after the bootstrap; run fleet apply later')
      .option('--trust-new-host-keys', 'under ssh.host_key_checking: strict, record the key a new host offers on first contact (printed) instead of refusing to log in'),
  ).action(async (inventoryFile: string, options: BootstrapOptions) => {
    // Loaded when the command runs, not at start-up (see main.ts).
    const { loadHosts } = await import('../load-hosts.ts');
    const { bootstrapHosts, readAuthorizedKey } = await import('../../bootstrap/bootstrap.ts');
    const { buildPrograms, convergeHosts } = await import('../converge.ts');
    const { checkRegistrationInputs, renderRegistration, runRegistration, withPrometheusServers } = await import('../registration.ts');
    const loaded = await loadHosts(inventoryFile, { limit: options.limit, shard: options.shard, extraVars: options.extraVars });
    const hosts = loaded.selected;
    const publicKeys = new Map<string, string>();
    for (const host of hosts) publicKeys.set(host.name, await readAuthorizedKey(host));
    const programs = options.apply ? await buildPrograms(hosts, [], { tags: [] }, loaded, dirname(inventoryFile)) : new Map();
    checkRegistrationInputs(loaded);
    const passwords = await collectPasswords(hosts, (host) => ({ setting: 'bootstrap.password', env: host.bootstrap.passwordEnv, prompt: host.bootstrap.passwordPrompt }), 'initial password: ');
    const progress = await createProgress(hosts.length, 'bootstrapping');
    const outcomes = await bootstrapHosts(hosts, { forks: options.forks, emit: progress.sink, passwords, publicKeys, trustNewHostKeys: options.trustNewHostKeys });
    progress.stop();

    const ready = succeededHosts(hosts, outcomes);
    const register = options.apply && loaded.inventory.raw.prometheus !== undefined;
    const become = await collectBecomePasswords(withPrometheusServers(ready, loaded, register));
    const run = { check: false, diff: false, forks: options.forks, passwords: become };
    const applied = options.apply && ready.length ? await convergeHosts(ready, programs, run) : [];
    const healthy = succeededHosts(ready, applied);
    const registration = register && healthy.length ? await runRegistration(loaded, { ...run, awaited: healthy, changed: applied.filter((outcome) => outcome.status === 'changed').map((outcome) => outcome.host) }) : [];
    const { describeRetry, writeRetryFile } = await import('../retry-file.ts');
    const retry = await writeRetryFile(inventoryFile, options, [...outcomes, ...applied, ...registration], loaded.all.map((host) => host.name));

    if (options.json) {
      process.stdout.write(`${JSON.stringify({ command: 'bootstrap', bootstrap: outcomes, hosts: applied, registration, retryFile: retry?.path ?? null }, diffReplacer(false), 2)}\n`);
    } else {
      process.stdout.write(`${renderBootstrap(outcomes)}\n`);
      if (applied.length) {
        const rows = applied.map((outcome) => [outcome.host, paintStatus(outcome.status), formatSeconds(outcome.durationMs), outcome.error ? color.red(`${outcome.error.step}: ${outcome.error.message.split('\n')[0]}`) : '']);
        process.stdout.write(`\n${color.bold('APPLY RECAP')}\n${formatTable(rows)}${renderRegistration(registration, { diff: false, check: false })}\n`);
      }
      process.stdout.write(describeRetry(retry, 'bootstrap'));
    }
    process.exitCode = exitCodeFor([...outcomes, ...applied, ...registration]);
  });
}

function renderBootstrap(outcomes: readonly HostOutcome<BootstrapResult>[]): string {
  const lines: string[] = [];
  for (const outcome of outcomes) {
    if (outcome.result?.recordedHostKey) lines.push(`${outcome.host}: recorded host key ${outcome.result.recordedHostKey} (trust on first use; later runs verify it)`);
    const changes = renderChanges(outcome.host, outcome.result?.changes ?? [], false);
    if (changes) lines.push(changes);
  }
  const rows = outcomes.map((outcome) => [
    outcome.host,
    paintStatus(outcome.status),
    outcome.result ? (outcome.result.loggedInAs === 'deploy' ? 'already bootstrapped' : 'via initial login') : '',
    formatSeconds(outcome.durationMs),
    outcome.error ? color.red(`${outcome.error.step}: ${outcome.error.message.split('\n')[0]}`) : '',
  ]);
  return `${lines.length ? `${lines.join('\n')}\n` : ''}\n${color.bold('BOOTSTRAP RECAP')}\n${formatTable(rows)}`;
}
