import { describe, expect, it } from 'vitest';
import { metricsProbeQuery } from '../../../src/templates/node-exporter.ts';

describe("the query of Node Exporter's metrics check", () => {
  it('asks for the textfile collector alone while it runs', () => {
    expect(metricsProbeQuery({ collectors_enabled: ['systemd', 'textfile'], collectors_disabled: [], extra_flags: [] })).toBe('?collect%5B%5D=textfile');
    // On by default upstream, so also when the inventory does not name it.
    expect(metricsProbeQuery({ collectors_enabled: ['systemd'] })).toBe('?collect%5B%5D=textfile');
    expect(metricsProbeQuery(undefined)).toBe('?collect%5B%5D=textfile');
    expect(metricsProbeQuery({ extra_flags: ['--collector.disable-defaults', '--collector.textfile'] })).toBe('?collect%5B%5D=textfile');
  });

  it('asks for the full page when textfile is off: a filter naming a disabled collector answers 400', () => {
    expect(metricsProbeQuery({ collectors_enabled: ['systemd'], collectors_disabled: ['textfile'] })).toBe('');
    expect(metricsProbeQuery({ extra_flags: ['--no-collector.textfile'] })).toBe('');
    expect(metricsProbeQuery({ collectors_enabled: ['cpu'], extra_flags: ['--collector.disable-defaults'] })).toBe('');
  });
});
