import { UsageError } from '../errors.ts';
import type { ResolvedHost } from '../inventory/resolve.ts';
import { promptSecret } from './prompt.ts';

/** Collects each host's sudo password before the run starts: from its environment variable, or one prompt. */
export async function collectBecomePasswords(hosts: readonly ResolvedHost[]): Promise<Map<string, string>> {
  const passwords = new Map<string, string>();
  let prompted: string | undefined;
  for (const host of hosts) {
    if (!host.become.enabled) continue;
    if (host.become.passwordEnv) {
      const value = process.env[host.become.passwordEnv];
      if (value === undefined) {
        throw new UsageError(`host ${host.name}: become.password_env names ${host.become.passwordEnv}, which is not set; export it before running fleet`);
      }
      passwords.set(host.name, value);
    } else if (host.become.passwordPrompt) {
      prompted ??= await promptSecret('sudo password: ');
      passwords.set(host.name, prompted);
    }
  }
  return passwords;
}

/** The connection options that carry each host's become settings and password. */
export function becomeOpenOptions(passwords: ReadonlyMap<string, string>) {
  return (host: ResolvedHost) => ({ become: { enabled: host.become.enabled, password: passwords.get(host.name) } });
}
