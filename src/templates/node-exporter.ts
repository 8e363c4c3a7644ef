/** What of `vars.node_exporter` decides which collectors run. */
interface CollectorSettings {
  collectors_enabled?: unknown;
  collectors_disabled?: unknown;
  extra_flags?: unknown;
}

const list = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

/**
 * The query for probing Node Exporter's /metrics cheaply: `collect[]=textfile` runs only the textfile
 * collector, and every answer still carries node_exporter_build_info (node_exporter.go, innerHandler,
 * registers the version collector beside the filtered ones). A full scrape runs every collector (the
 * systemd one over D-Bus) and sends some 100 KB back over SSH: most of a converged host's cost. It
 * proves no more, since a failing collector still answers 200. Empty when the textfile collector is
 * off, as a filter naming a disabled collector answers 400 (collector.go, NewNodeCollector): textfile
 * is on by default, off with --no-collector.textfile or with --collector.disable-defaults unless
 * named by --collector.textfile.
 */
export function metricsProbeQuery(settings: CollectorSettings | undefined): string {
  const enabled = list(settings?.collectors_enabled);
  const disabled = list(settings?.collectors_disabled);
  const flags = list(settings?.extra_flags);
  const named = enabled.includes('textfile') || flags.includes('--collector.textfile');
  const off = disabled.includes('textfile') || flags.includes('--no-collector.textfile') || (flags.includes('--collector.disable-defaults') && !named);
  return off ? '' : '?collect%5B%5D=textfile';
}
