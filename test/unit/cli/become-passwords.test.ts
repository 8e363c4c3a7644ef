import { afterEach, describe, expect, it } from 'vitest';
import { becomeOpenOptions, collectBecomePasswords } from '../../../src/cli/become-passwords.ts';
import type { ResolvedHost } from '../../../src/inventory/resolve.ts';
import type { BecomeMethod } from '../../../src/inventory/schema.ts';

const host = (name: string, method: BecomeMethod, passwordEnv?: string, enabled = true) => ({ name, become: { enabled, method, passwordEnv, passwordPrompt: false } }) as unknown as ResolvedHost;

describe('become passwords per host and method', () => {
  afterEach(() => {
    delete process.env.FLEET_TEST_SUDO;
    delete process.env.FLEET_TEST_ROOT;
  });

  it('reads each host\'s own variable, whatever its method, and hands method and password to the connection', async () => {
    process.env.FLEET_TEST_SUDO = 'sudo-pw';
    process.env.FLEET_TEST_ROOT = 'root-pw';
    const hosts = [host('web1', 'sudo', 'FLEET_TEST_SUDO'), host('legacy1', 'su', 'FLEET_TEST_ROOT'), host('bsd1', 'doas'), host('db1', 'su', 'FLEET_TEST_ROOT', false)];
    const passwords = await collectBecomePasswords(hosts);
    expect(Object.fromEntries(passwords)).toEqual({ web1: 'sudo-pw', legacy1: 'root-pw' });
    expect(becomeOpenOptions(passwords)(hosts[1]!)).toEqual({ become: { enabled: true, method: 'su', password: 'root-pw' } });
    expect(becomeOpenOptions(passwords)(hosts[2]!)).toEqual({ become: { enabled: true, method: 'doas', password: undefined } });
  });

  it('names the host and the variable that is not set', async () => {
    await expect(collectBecomePasswords([host('legacy1', 'su', 'FLEET_TEST_ROOT')])).rejects.toThrow('host legacy1: become.password_env names FLEET_TEST_ROOT, which is not set; export it before running fleet');
  });
});
