import { parseFileLines } from '../facts/file-lines.ts';
import { HostError } from '../connection/errors.ts';
import { shellCommand, shellQuote } from '../connection/quote.ts';
import type { Connection } from '../connection/ssh.ts';
import { clearPendingCommand, parsePending, pendingFact, type PendingHandler } from '../engine/pending-handlers.ts';
import { unitStateFact } from '../facts/unit-state.ts';
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

// How long a start may take before fleet stops watching; a unit still active then is left to the endpoint checks.
const START_DEADLINE_SECONDS = 20;
// Without ports to watch, a start counts once the same main process stayed active this long.
const STABLE_SECONDS = 1;

/**
 * Starts or restarts a unit and watches it instead of sleeping: done as soon as the unit is active and
 * a process of the unit listens on each of its ports (or, without ports, stayed active with the same
 * main PID for a second); failed as soon as it fails, leaves active, or systemd restarts it (NRestarts
 * grows, SubState auto-restart). A manual start resets the restart counter, so the baseline is read after it.
 */
export function startAndWatchScript(unit: string, verb: 'start' | 'restart', ports: readonly number[]): string {
  const u = shellQuote(unit);
  return [
    // A crash loop of the build just replaced (or rolled back) may have used up the unit's start limit:
    // systemd would then refuse this start with start-limit-hit although the binary is good now.
    `systemctl reset-failed ${u} 2>/dev/null || true`,
    `systemctl ${verb} ${u} || true`,
    `prop() { systemctl show -p "$1" --value ${u}; }`,
    `owned() { for pid in $(ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2); do grep -qF ${shellQuote(`/${unit}`)} /proc/$pid/cgroup 2>/dev/null && return 0; done; return 1; }`,
    `ports=${shellQuote(ports.join(' '))}; command -v ss >/dev/null || ports=`,
    `before=$(prop NRestarts); started=$(date +%s); seen=; since=`,
    `while :; do`,
    `  state=$(prop ActiveState); sub=$(prop SubState); main=$(prop MainPID); now=$(date +%s)`,
    `  if [ "$(prop NRestarts)" != "$before" ] || [ "$sub" = auto-restart ] || [ "$state" = failed ] || [ "$state" = inactive ]; then echo "$state"; exit 1; fi`,
    `  if [ "$state" = active ]; then`,
    `    if [ -n "$ports" ]; then ok=1; for port in $ports; do owned "$port" || ok=; done; [ -n "$ok" ] && exit 0`,
    `    else [ "$main" = "$seen" ] || { seen=$main; since=$now; }; [ $((now - since)) -ge ${STABLE_SECONDS} ] && exit 0; fi`,
    `  fi`,
    `  [ $((now - started)) -ge ${START_DEADLINE_SECONDS} ] && { [ "$state" = active ] && exit 0; echo "$state after ${START_DEADLINE_SECONDS}s"; exit 1; }`,
    `  sleep 0.1`,
    `done`,
  ].join('\n');
}

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

  /** Runs `systemctl VERB` and watches the unit until it runs (listening on its ports) or fails. */
  const runAndConfirm = async (connection: Connection, verb: 'start' | 'restart', before?: string) => {
    // Up and staying up: the restart an earlier run may have owed is done too.
    const script = `(\n${startAndWatchScript(unit, verb, spec.ports)}\n) && ${clearPendingCommand(spec.name)}`;
    const failed = shellQuote(`systemctl ${spec.enabled ? 'enable' : 'disable'} failed`);
    const result = await connection.exec(before ? `${before} || { echo ${failed}; exit 1; }\n${script}` : script, { sudo: true });
    if (result.code !== 0) throw new HostError('command', `${unit} did not stay up after ${verb} (${result.stdout.trim() || 'failed'})${await diagnose(connection, unit, spec.ports)}`);
  };

  const service: ServiceControl = {
    name: spec.name,
    startedThisRun: () => started,
    pendingFrom: (facts) => parsePending(parseFileLines(facts.raw.get(pendingFact(spec.name).key)).text),
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
      unitStateFact(key, unit),
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
      // --no-reload: systemd's reload after enable only refreshes which targets want the unit, which counts at the
      // next boot; the unit itself is loaded (by the unit file's daemon-reload, or on demand by start).
      const enablement = shellCommand('systemctl', spec.enabled ? 'enable' : 'disable', '--quiet', '--no-reload', unit);
      if (spec.state === 'stopped') {
        await connection.execChecked(`${spec.enabled ? 'enable' : 'disable'} and stop ${unit}`, `${enablement} && ${shellCommand('systemctl', 'stop', unit)} && ${clearPendingCommand(spec.name)}`, { sudo: true });
        return;
      }
      // The facts already say whether it runs; enabling does not start it. Enable and start share one command.
      if (stateOf(facts).activeState !== 'active') {
        await runAndConfirm(connection, 'start', enablement);
        started = true;
        return;
      }
      await connection.execChecked(`${spec.enabled ? 'enable' : 'disable'} ${unit}`, enablement, { sudo: true });
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
