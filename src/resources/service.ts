import { HostError } from '../connection/errors.ts';
import { shellCommand, shellQuote } from '../connection/quote.ts';
import type { Connection } from '../connection/ssh.ts';
import { clearPendingCommand, parsePending, pendingFact, type PendingHandler } from '../engine/pending-handlers.ts';
import { lastLogLines } from './journal.ts';
import type { Change, Facts, Resource } from './types.ts';

export interface ServiceSpec {
  /** The unit name without `.service`. */
  name: string;
  enabled: boolean;
  state: 'started' | 'stopped';
  /** Ports the service listens on: when it fails to start, whoever holds them is named. */
  ports: number[];
  tags?: string[];
}

/** What the engine's handlers call at the end of a host's run. */
export interface ServiceControl {
  name: string;
  /** True when this run started the service, so a restart would only repeat the start. */
  startedThisRun(): boolean;
  /** A restart or reload an earlier run promised and did not do (it failed or was interrupted). */
  pendingFrom(facts: Facts): PendingHandler | undefined;
  /** Forgets the promise once the restart or reload happened (or the service was started or stopped anyway). */
  clearPending(connection: Connection): Promise<void>;
  /** Both also forget the pending record once done. */
  restart(connection: Connection): Promise<void>;
  reload(connection: Connection): Promise<void>;
}

export type ServiceResource = Resource & { service: ServiceControl };

// Long enough for a crashing binary to be seen exiting; paid only when something was (re)started.
const SETTLE_SECONDS = 2;

/** A systemd service enabled and running (or stopped); restarts and reloads come from the engine's handlers. */
export function serviceResource(spec: ServiceSpec): ServiceResource {
  const id = `service ${spec.name}`;
  const key = `service:${spec.name}`;
  const unit = `${spec.name}.service`;
  let started = false;
  const stateOf = (facts: Facts) => {
    const [enabledState = '', activeState = ''] = (facts.raw.get(key) ?? '').trim().split('|');
    return { enabledState, activeState };
  };

  /** Runs `systemctl VERB` and confirms the service is still active, without restarts, a moment later. */
  const runAndConfirm = async (connection: Connection, verb: 'start' | 'restart') => {
    const u = shellQuote(unit);
    const script = [
      // A manual start resets the automatic-restart counter, so the baseline is read after it.
      `systemctl ${verb} ${u} || true`,
      `before=$(systemctl show -p NRestarts --value ${u})`,
      `sleep ${SETTLE_SECONDS}`,
      `state=$(systemctl is-active ${u}); after=$(systemctl show -p NRestarts --value ${u})`,
      // Up and staying up: the restart an earlier run may have owed is done too.
      `[ "$state" = active ] && [ "$after" = "$before" ] && { ${clearPendingCommand(spec.name)}; exit 0; }`,
      `echo "$state"; exit 1`,
    ].join('\n');
    const result = await connection.exec(script, { sudo: true });
    if (result.code !== 0) throw new HostError('command', `${unit} did not stay up after ${verb} (${result.stdout.trim() || 'failed'})${await diagnose(connection, unit, spec.ports)}`);
  };

  const service: ServiceControl = {
    name: spec.name,
    startedThisRun: () => started,
    pendingFrom: (facts) => parsePending(facts.raw.get(pendingFact(spec.name).key)),
    async clearPending(connection) {
      await connection.execChecked(`forget the pending restart of ${unit}`, clearPendingCommand(spec.name), { sudo: true });
    },
    restart: (connection) => runAndConfirm(connection, 'restart'),
    async reload(connection) {
      await connection.execChecked(`reload ${unit}`, `${shellCommand('systemctl', 'reload', unit)} && ${clearPendingCommand(spec.name)}`, { sudo: true });
    },
  };

  return {
    id,
    tags: spec.tags ?? [],
    service,
    facts: () => [
      { key, command: `printf '%s|%s\\n' "$(systemctl is-enabled ${shellQuote(unit)} 2>/dev/null)" "$(systemctl is-active ${shellQuote(unit)} 2>/dev/null)"` },
      pendingFact(spec.name),
    ],
    plan(facts): Change {
      const { enabledState, activeState } = stateOf(facts);
      const isEnabled = enabledState === 'enabled';
      const isActive = activeState === 'active';
      const differences: string[] = [];
      if (isEnabled !== spec.enabled) differences.push(`${enabledState || 'not installed'} -> ${spec.enabled ? 'enabled' : 'disabled'}`);
      if (isActive !== (spec.state === 'started')) differences.push(`${activeState === 'active' ? 'running' : activeState === 'inactive' || !activeState ? 'stopped' : activeState} -> ${spec.state === 'started' ? 'running' : 'stopped'}`);
      const pending = service.pendingFrom(facts);
      if (pending && spec.state === 'started') differences.push(`${pending.action} pending: ${pending.because} changed in an earlier run that did not finish`);
      if (differences.length === 0) return { resource: id, action: 'same', reason: `${spec.enabled ? 'enabled' : 'disabled'}, ${activeState}` };
      return { resource: id, action: 'update', reason: differences.join(', ') };
    },
    async apply(connection, _change, facts) {
      await connection.execChecked(`${spec.enabled ? 'enable' : 'disable'} ${unit}`, shellCommand('systemctl', spec.enabled ? 'enable' : 'disable', '--quiet', unit), { sudo: true });
      if (spec.state === 'stopped') {
        await connection.execChecked(`stop ${unit}`, `${shellCommand('systemctl', 'stop', unit)} && ${clearPendingCommand(spec.name)}`, { sudo: true });
        return;
      }
      // The facts already say whether it runs; enabling does not start it.
      if (stateOf(facts).activeState !== 'active') {
        await runAndConfirm(connection, 'start');
        started = true;
      }
    },
  };
}

/** The service's last log lines, and who holds its ports: what an operator looks at first. */
async function diagnose(connection: Connection, unit: string, ports: number[]): Promise<string> {
  const lines: string[] = [];
  for (const port of ports) {
    const holder = await connection.exec(`ss -Hltnp ${shellQuote(`sport = :${port}`)}`, { sudo: true });
    const process = /users:\(\("([^"]+)",pid=(\d+)/.exec(holder.stdout);
    if (process) lines.push(`port ${port} is already in use by ${process[1]} (pid ${process[2]})`);
  }
  const log = await lastLogLines(connection, unit, 15);
  if (log) lines.push(log);
  return lines.length ? `\n${lines.join('\n')}` : '';
}
