import { shellQuote } from '../connection/quote.ts';
import { UsageError } from '../errors.ts';

export interface ScheduleSpec {
  /** Absolute paths: systemd and cron run without the operator's working directory. */
  node: string;
  fleet: string;
  inventory: string;
  metricsFile: string;
  /** Minutes between checks. */
  everyMinutes: number;
}

/** Parses 15m, 1h, 90m into minutes. */
export function parseInterval(text: string): number {
  const match = /^(\d+)(m|h)$/.exec(text);
  if (!match || Number(match[1]) === 0) throw new UsageError(`--every ${text}: expected minutes or hours, like 15m or 1h`);
  return Number(match[1]) * (match[2] === 'h' ? 60 : 1);
}

const command = (spec: ScheduleSpec) => [spec.node, spec.fleet, 'check', spec.inventory, '--metrics-file', spec.metricsFile];

/** systemd quoting: a word with spaces or quotes goes in double quotes with \ and " escaped. */
const systemdWord = (word: string) => (/[\s"'\\$%;]/.test(word) ? `"${word.replace(/[\\"]/g, '\\$&').replace(/\$/g, '$$$$').replace(/%/g, '%%')}"` : word);

export function renderService(spec: ScheduleSpec): string {
  return `# Written by \`fleet schedule\`: the read-only drift check of ${spec.inventory}.
[Unit]
Description=fleet drift check (${spec.inventory})
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
# Secrets (become passwords) come from the environment, never from the inventory.
EnvironmentFile=-/etc/default/fleet-check
Environment=NO_COLOR=1
ExecStart=${command(spec).map(systemdWord).join(' ')}
# 2 (drift), 3 (a host not checkable) and 4 (unreachable) are results the metrics file carries:
# the unit fails only when fleet itself could not run (1: bad inventory, 70: a bug).
SuccessExitStatus=2 3 4
`;
}

export function renderTimer(spec: ScheduleSpec): string {
  return `# Written by \`fleet schedule\`: runs fleet-check.service every ${spec.everyMinutes} minutes.
[Unit]
Description=fleet drift check every ${spec.everyMinutes} minutes

[Timer]
OnBootSec=5min
OnUnitActiveSec=${spec.everyMinutes}min
RandomizedDelaySec=30s

[Install]
WantedBy=timers.target
`;
}

/** The same schedule as a crontab line, for machines without systemd. */
export function renderCrontab(spec: ScheduleSpec): string {
  const minutes = spec.everyMinutes;
  let schedule: string;
  if (minutes < 60 && 60 % minutes === 0) schedule = `*/${minutes} * * * *`;
  else if (minutes % 60 === 0 && 24 % (minutes / 60) === 0) schedule = `0 */${minutes / 60} * * *`;
  else throw new UsageError(`--every ${minutes}m cannot be written as a crontab line; pick a divisor of 60 minutes or of 24 hours`);
  return `${schedule} root ${command(spec).map(shellQuote).join(' ')} >/dev/null 2>&1\n`;
}
