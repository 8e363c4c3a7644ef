import { Command, CommanderError } from 'commander';
import { ExternalError, UsageError } from '../errors.ts';
import { registerInventory } from './commands/inventory.ts';
import { registerApply } from './commands/apply.ts';
import { registerBootstrap } from './commands/bootstrap.ts';
import { registerCheck } from './commands/check.ts';
import { registerCloudInit } from './commands/cloud-init.ts';
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
      'Exit codes: 0 success, 1 bad input (inventory, playbook, arguments), 2 a host failed, 4 a host was unreachable, 70 a bug in fleet.',
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

try {
  await program.parseAsync(process.argv);
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
