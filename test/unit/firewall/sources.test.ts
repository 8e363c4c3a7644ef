import { describe, expect, it } from 'vitest';
import { normaliseCidr, normaliseSources } from '../../../src/firewall/sources.ts';

describe('firewall sources', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1'],
    ['10.0.0.1/32', '10.0.0.1'],
    ['10.0.0.77/24', '10.0.0.0/24'],
    ['2001:DB8:0:0::1', '2001:db8::1'],
    ['2001:db8::1/128', '2001:db8::1'],
    ['2001:db8::ff/64', '2001:db8::/64'],
  ])('writes %s as %s, the way the firewalls list it', (written, canonical) => {
    expect(normaliseCidr(written)).toBe(canonical);
  });

  it.each(['10.0.0.1 tcp dport 22 accept; flush ruleset', '10.0.0.1/33', '010.0.0.1', '10.0.0.1/24/8', '$(reboot)', 'a b', '"10.0.0.1"', ''])('refuses %j before anything connects', async (source) => {
    await expect(normaliseSources([source], 'p.yaml tasks.0.firewall.sources')).rejects.toThrow(/p\.yaml tasks\.0\.firewall\.sources: firewall source .* (is not an IP address|could not be resolved)/);
  });

  it('resolves a name on the controller (here from /etc/hosts) and says so', async () => {
    const { sources, resolved } = await normaliseSources(['localhost', '127.0.0.1', '10.0.0.1/32'], 'x');
    expect(sources).toContain('127.0.0.1');
    expect(sources.filter((source) => source === '127.0.0.1')).toHaveLength(1);
    expect(sources).toContain('10.0.0.1');
    expect(resolved[0]).toMatch(/^localhost -> .*127\.0\.0\.1/);
  });

  it('treats 0.0.0.0/0 as everyone', async () => {
    expect((await normaliseSources(['0.0.0.0/0'], 'x')).sources).toEqual(['any']);
  });
});
