import { Command, CommanderError } from 'commander';
import { ExternalError, UsageError } from '../errors.ts';
import { registerInventory } from './commands/inventory.ts';
import { registerApply } from './commands/apply.ts';
import { registerBootstrap } from './commands/bootstrap.ts';
import { registerCheck } from './commands/check.ts';
import { registerCloudInit } from './commands/cloud-init.ts';
import { registerCompletion } from './commands/completion.ts';
import { registerSchedule } from './commands/schedule.ts';
import { registerLab } from './commands/lab.ts';
import { registerPing } from './commands/ping.ts';
import { registerRegister } from './commands/register.ts';
import { registerStatus } from './commands/status.ts';
import { EXIT } from './exit-codes.ts';

const program = new Command('fleet')
  .description(
    'Agentless provisioning of host observability over plain SSH: Node Exporter and Grafana Alloy on every host, ' +
      'registered with a central Prometheus. Targets need only sshd and a POSIX shell.\n\n' +
      'Start with:\n  fleet inventory inventory.yaml   validate the inventory and list the hosts\n' +
      '  fleet ping inventory.yaml        check SSH and sudo on every host\n' +
      '  fleet apply inventory.yaml --check --diff   see what would change\n' +
      '  fleet apply inventory.yaml       install, verify, register with Prometheus\n\n' +
      'Defaults set once: fleet.yaml next to the inventory or in the working directory, or FLEET_CONFIG (forks, inventory, ' +
      'log_file, artifact_cache, color, retry files); flags beat the environment, which beats fleet.yaml. ' +
      'Failed hosts are listed in INVENTORY.retry: rerun them with --limit @INVENTORY.retry. Completion: source <(fleet completion bash).\n\n' +
      'Exit codes: 0 success, 1 bad input (inventory, playbook, arguments), 2 a host failed, 4 a host was unreachable, 70 a bug in fleet, 130 interrupted by Ctrl-C (143 by SIGTERM): steps in flight finished, the recap says what was done, a rerun finishes; a second Ctrl-C stops at once.',
  )
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

// Each register* only declares its command (arguments, options, help with examples); the modules that do the
// work are imported inside its action, so `fleet --help` and each command load only what they use
// (test/unit/cli/start-up.test.ts checks which libraries load).
registerInventory(program);
registerPing(program);
registerApply(program);
registerRegister(program);
registerCheck(program);
registerStatus(program);
registerBootstrap(program);
registerCloudInit(program);
registerSchedule(program);
registerLab(program);
registerCompletion(program);

// fleet.yaml (see project-defaults.ts): fills what flags and the environment left unset, before each command runs.
program.hook('preAction', async (_program, command) => {
  if (command.name() === 'completion' || command.name() === '__complete') return;
  const { applyProjectDefaults } = await import('./project-defaults.ts');
  await applyProjectDefaults(command);
  const { startRunTrace } = await import('./run-trace.ts');
  startRunTrace(command, process.argv);
});
program.hook('postAction', async () => {
  const { finishRunTrace } = await import('./run-trace.ts');
  finishRunTrace();
});

try {
  const { withConfiguredInventory } = await import('./project-defaults.ts');
  await program.parseAsync(await withConfiguredInventory(program, process.argv));
} catch (error) {
  process.exitCode = reportError(error);
}

function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander has already printed its message (or the help text).
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof UsageError || error instanceof ExternalError) {
    process.stderr.write(`fleet: ${error.message}\n`);
    return error instanceof UsageError ? EXIT.usage : EXIT.failed;
  }
  process.stderr.write(`fleet: internal error, please report it with the command you ran:\n${error instanceof Error ? error.stack : String(error)}\n`);
  return EXIT.internal;
}
