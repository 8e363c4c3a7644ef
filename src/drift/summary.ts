import type { ConvergeOutcome } from '../cli/converge.ts';
import type { ConnectionUsage } from '../connection/ssh.ts';
import type { HostOutcome } from '../engine/events.ts';
import { isChange } from '../engine/host-plan.ts';
import type { ServerResult } from '../register/register.ts';

/** One thing that no longer matches the inventory, in the words an operator acts on. */
export interface Drift {
  host: string;
  resource: string;
  reason: string;
  diff?: { before: string; after: string };
}

export interface HostDriftState {
  host: string;
  state: 'in-sync' | 'drift' | 'unreachable' | 'failed';
  /** Every resource checked on the host, drifted or not (for the per-resource gauge). */
  resources: { resource: string; drifted: boolean }[];
  error?: string;
  durationMs: number;
  /** What the check cost the host's SSH sessions (summed when it is also a Prometheus server). */
  connection?: ConnectionUsage;
}

export interface DriftReport {
  hosts: HostDriftState[];
  drift: Drift[];
  startedAt: Date;
  durationMs: number;
}

/** Folds the check-mode outcomes of hosts and of the Prometheus servers into one drift report. */
export function summarizeDrift(outcomes: readonly ConvergeOutcome[], registration: readonly HostOutcome<ServerResult>[], selected: readonly string[], startedAt: Date): DriftReport {
  const drift: Drift[] = [];
  const hosts: HostDriftState[] = outcomes.map((outcome) => {
    const changes = outcome.result?.changes ?? [];
    for (const change of changes.filter(isChange)) drift.push({ host: outcome.host, resource: change.resource, reason: change.reason, diff: change.diff });
    const state = outcome.status === 'unreachable' ? 'unreachable' : outcome.status === 'failed' || outcome.status === 'not-attempted' ? 'failed' : changes.some(isChange) ? 'drift' : 'in-sync';
    return {
      host: outcome.host,
      state,
      resources: changes.filter((change) => change.action !== 'skip').map((change) => ({ resource: change.resource, drifted: isChange(change) })),
      error: outcome.error?.message,
      durationMs: outcome.durationMs,
      connection: outcome.connection,
    };
  });
  for (const server of registration) {
    const result = server.result;
    const resources: HostDriftState['resources'] = [];
    for (const change of result?.changes ?? []) {
      resources.push({ resource: change.resource, drifted: isChange(change) });
      if (isChange(change)) drift.push({ host: server.host, resource: change.resource, reason: change.reason, diff: change.diff });
    }
    for (const target of (result?.targets ?? []).filter((candidate) => selected.includes(candidate.instance))) {
      const resource = `target ${target.job} ${target.instance}`;
      const drifted = target.health !== 'up';
      resources.push({ resource, drifted });
      if (drifted) {
        const why = target.health === 'missing' ? 'missing from Prometheus' : `${target.health} in Prometheus${target.lastError ? `: ${target.lastError}` : ''}`;
        drift.push({ host: server.host, resource, reason: `${target.address} is ${why}` });
      }
    }
    const known = hosts.find((host) => host.host === server.host);
    const state: HostDriftState['state'] = server.status === 'unreachable' ? 'unreachable' : server.status === 'failed' ? 'failed' : resources.some((r) => r.drifted) ? 'drift' : 'in-sync';
    if (known) {
      known.resources.push(...resources);
      known.connection = addUsage(known.connection, server.connection);
      if (known.state === 'in-sync' && state !== 'in-sync') known.state = state;
    } else {
      hosts.push({ host: server.host, state, resources, error: server.error?.message, durationMs: server.durationMs, connection: server.connection });
    }
  }
  return { hosts, drift, startedAt, durationMs: Date.now() - startedAt.getTime() };
}

function addUsage(a: ConnectionUsage | undefined, b: ConnectionUsage | undefined): ConnectionUsage | undefined {
  if (!a || !b) return a ?? b;
  return { commands: a.commands + b.commands, uploadedBytes: a.uploadedBytes + b.uploadedBytes };
}

/** 0 in sync, 2 drift (even when some hosts were unreachable), 3 a host could not be checked, 4 unreachable only. */
export function driftExitCode(report: DriftReport): number {
  if (report.drift.length > 0) return 2;
  if (report.hosts.some((host) => host.state === 'failed')) return 3;
  if (report.hosts.some((host) => host.state === 'unreachable')) return 4;
  return 0;
}
