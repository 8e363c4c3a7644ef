import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomically } from '../../local/write-atomic.ts';
import { runLocal } from '../../local/run.ts';
import { PACKAGE_ROOT } from '../../package-root.ts';
import { parseInterval, renderCrontab, renderService, renderTimer, type ScheduleSpec } from '../../schedule/units.ts';
import { ExternalError } from '../../errors.ts';

const SYSTEM_UNIT_DIR = '/etc/systemd/system';

interface ScheduleOptions {
  every: string;
  metricsFile: string;
  install?: boolean;
  unitDir: string;
}

export function registerSchedule(program: Command): void {
  program
    .command('schedule')
    .summary('print (or --install) a systemd timer and a crontab line that run fleet check on this machine')
    .description(
      'Writes nothing unless --install: prints fleet-check.service, fleet-check.timer and an /etc/cron.d line that run ' +
        '`fleet check INVENTORY --metrics-file PATH` every interval. Point the metrics file into the Node Exporter textfile ' +
        'collector folder of this machine and load examples/alerts/fleet.rules.yml into Prometheus to be alerted on drift ' +
        'and on a check that stopped running.\n\n' +
        'Examples:\n  fleet schedule inventory.yaml --every 15m\n  fleet schedule inventory.yaml --every 1h --install',
    )
    .argument('<inventory>', 'inventory YAML file (stored as an absolute path)')
    .option('--every <interval>', 'how often: minutes or hours, like 15m or 1h', '15m')
    .option('--metrics-file <path>', 'where the check writes its metrics', '/var/lib/node_exporter/textfile_collector/fleet.prom')
    .option('--install', 'write the units to --unit-dir and enable the timer (when systemd runs here)')
    .option('--unit-dir <dir>', `where --install writes the units; any other folder than ${SYSTEM_UNIT_DIR} is only written, not enabled`, SYSTEM_UNIT_DIR)
    .action(async (inventory: string, options: ScheduleOptions) => {
      const spec: ScheduleSpec = {
        node: process.execPath,
        fleet: join(PACKAGE_ROOT, 'bin', 'fleet.js'),
        inventory: resolve(inventory),
        metricsFile: resolve(options.metricsFile),
        everyMinutes: parseInterval(options.every),
      };
      const service = renderService(spec);
      const timer = renderTimer(spec);
      if (!options.install) {
        process.stdout.write(`# ${join(options.unitDir, 'fleet-check.service')}\n${service}\n# ${join(options.unitDir, 'fleet-check.timer')}\n${timer}\n`);
        process.stdout.write(`# Without systemd, put this line in /etc/cron.d/fleet-check instead:\n${renderCrontab(spec)}`);
        return;
      }
      await mkdir(options.unitDir, { recursive: true });
      await writeFileAtomically(join(options.unitDir, 'fleet-check.service'), service);
      await writeFileAtomically(join(options.unitDir, 'fleet-check.timer'), timer);
      process.stdout.write(`wrote ${join(options.unitDir, 'fleet-check.service')} and fleet-check.timer\n`);
      // This machine's systemd reads its own unit folders: enabling units written elsewhere (a staging
      // folder, an image being built) would enable whatever fleet-check.timer it already has, or fail.
      if (resolve(options.unitDir) !== SYSTEM_UNIT_DIR) {
        process.stdout.write(`not enabled: ${options.unitDir} is not ${SYSTEM_UNIT_DIR}; copy the units there, then run systemctl daemon-reload && systemctl enable --now fleet-check.timer\n`);
        return;
      }
      if (!existsSync('/run/systemd/system')) {
        process.stdout.write('systemd is not running here: enable the timer where it is, or use the crontab line (fleet schedule without --install)\n');
        return;
      }
      for (const args of [['daemon-reload'], ['enable', '--now', 'fleet-check.timer']]) {
        const result = await runLocal('systemctl', args);
        if (result.code !== 0) throw new ExternalError(`systemctl ${args.join(' ')} failed: ${result.stderr.trim()}`);
      }
      process.stdout.write(`enabled fleet-check.timer: every ${spec.everyMinutes} minutes\n`);
    });
}
