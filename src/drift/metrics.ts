import type { DriftReport } from './summary.ts';

const escape = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/**
 * The check's result in Prometheus text format, for the Node Exporter textfile collector: a drift
 * gauge per host and resource, reachability per host, and when and how long the check ran.
 */
export function renderDriftMetrics(report: DriftReport): string {
  const lines: string[] = [
    '# HELP fleet_drift 1 when the resource on the host differs from the inventory, else 0.',
    '# TYPE fleet_drift gauge',
    ...report.hosts.flatMap((host) => host.resources.map((resource) => `fleet_drift{host="${escape(host.host)}",resource="${escape(resource.resource)}"} ${resource.drifted ? 1 : 0}`)),
    '# HELP fleet_host_drifted_resources Number of resources of the host that differ from the inventory.',
    '# TYPE fleet_host_drifted_resources gauge',
    ...report.hosts.map((host) => `fleet_host_drifted_resources{host="${escape(host.host)}"} ${host.resources.filter((resource) => resource.drifted).length}`),
    '# HELP fleet_host_reachable 1 when fleet could connect to the host and read it, else 0.',
    '# TYPE fleet_host_reachable gauge',
    ...report.hosts.map((host) => `fleet_host_reachable{host="${escape(host.host)}"} ${host.state === 'unreachable' ? 0 : 1}`),
    '# HELP fleet_host_check_failed 1 when the host answered but could not be checked (sudo refused, a command failed).',
    '# TYPE fleet_host_check_failed gauge',
    ...report.hosts.map((host) => `fleet_host_check_failed{host="${escape(host.host)}"} ${host.state === 'failed' ? 1 : 0}`),
    '# HELP fleet_check_timestamp_seconds When the drift check started, as a Unix time.',
    '# TYPE fleet_check_timestamp_seconds gauge',
    `fleet_check_timestamp_seconds ${Math.floor(report.startedAt.getTime() / 1000)}`,
    '# HELP fleet_check_duration_seconds How long the drift check took.',
    '# TYPE fleet_check_duration_seconds gauge',
    `fleet_check_duration_seconds ${(report.durationMs / 1000).toFixed(3)}`,
  ];
  return `${lines.join('\n')}\n`;
}
