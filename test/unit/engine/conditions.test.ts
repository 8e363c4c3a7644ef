import { describe, expect, it } from 'vitest';
import { unmetCondition, unmetVarsCondition } from '../../../src/engine/conditions.ts';
import { factsFrom } from '../../helpers/facts.ts';

describe('when conditions', () => {
  const { host } = factsFrom({ 'host:machine': 'aarch64' });

  it('maps the kernel architecture to the release name and matches lists', () => {
    expect(host.arch).toBe('arm64');
    expect(unmetCondition({ arch: ['amd64', 'arm64'], os: ['debian'] }, host)).toBeUndefined();
  });

  it('says which fact failed, and what the host has', () => {
    expect(unmetCondition({ os: ['debian'], firewall: ['ufw'] }, host)).toBe('when firewall is ufw (host: none)');
  });
});

describe('when on every fact fleet gathers', () => {
  it('derives the family and the package manager from os-release, ID_LIKE included', () => {
    const cases: [string, string, string][] = [
      ['debian|12|', 'debian', 'apt'],
      ['ubuntu|24.04|debian', 'debian', 'apt'],
      ['rocky|9.4|rhel centos fedora', 'redhat', 'dnf'],
      ['fedora|40|', 'redhat', 'dnf'],
      ['opensuse-leap|15.6|suse opensuse', 'suse', 'zypper'],
      ['alpine|3.20.1|', 'alpine', 'apk'],
      ['gentoo|2.15|', 'unknown', 'none'],
    ];
    for (const [osRelease, family, manager] of cases) {
      const { host } = factsFrom({ 'host:os': osRelease });
      expect(unmetCondition({ os_family: [family], package_manager: [manager] }, host), osRelease).toBeUndefined();
    }
    const { host } = factsFrom({ 'host:os': 'ubuntu|24.04|debian' });
    expect(unmetCondition({ package_manager: ['dnf'] }, host)).toBe('when package_manager is dnf (host: apt)');
    expect(unmetCondition({ machine: ['x86_64'], os: ['ubuntu'], os_version: ['24.04'], init: ['systemd'] }, host)).toBeUndefined();
  });
});

describe('when on variables', () => {
  const vars = { node_exporter: { enabled: true, port: 9100, collectors: ['systemd', 'textfile'] }, site: 'eu' };

  it('matches a value, one of a list, or an element of a list variable', () => {
    expect(unmetVarsCondition({ 'node_exporter.enabled': [true], site: ['us', 'eu'] }, vars)).toBeUndefined();
    expect(unmetVarsCondition({ 'node_exporter.collectors': ['textfile'] }, vars)).toBeUndefined();
    expect(unmetVarsCondition({ 'node_exporter.port': [9100] }, vars)).toBeUndefined();
  });

  it('says which variable ruled the task out and what the host has; types are not mixed', () => {
    expect(unmetVarsCondition({ 'node_exporter.enabled': [false] }, vars)).toBe('when vars.node_exporter.enabled is false (host: true)');
    expect(unmetVarsCondition({ 'node_exporter.port': ['9100'] }, vars)).toBe('when vars.node_exporter.port is "9100" (host: 9100)');
    expect(unmetVarsCondition({ 'alloy.enabled': [true] }, vars)).toBe('when vars.alloy.enabled is true (host: not set)');
    expect(unmetVarsCondition({ 'alloy.enabled': [null] }, vars)).toBeUndefined();
    // A path through a string or an inherited property is unset, not a crash or a prototype lookup.
    expect(unmetVarsCondition({ 'site.length': [2] }, vars)).toContain('(host: not set)');
    expect(unmetVarsCondition({ 'site.constructor': ['x'] }, vars)).toContain('(host: not set)');
  });
});
