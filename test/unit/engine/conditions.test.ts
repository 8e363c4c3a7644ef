import { describe, expect, it } from 'vitest';
import { unmetCondition } from '../../../src/engine/conditions.ts';
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
