import { UsageError } from '../errors.ts';
import type { ResolvedHost } from '../inventory/resolve.ts';
import type { BecomeMethod } from '../inventory/schema.ts';
import { promptSecret } from './prompt.ts';

/** Where one kind of password comes from for a host: the setting's name, its environment variable, or a prompt. */
interface PasswordSource {
  setting: string;
  env?: string;
  prompt: boolean;
}

/**
 * Collects a password per host before the run starts: from the environment variable the inventory
 * names, or one prompt shared by every host that asks for it. Never from the inventory itself.
 */
export async function collectPasswords(hosts: readonly ResolvedHost[], sourceOf: (host: ResolvedHost) => PasswordSource | undefined, question: string): Promise<Map<string, string>> {
  const passwords = new Map<string, string>();
  let prompted: string | undefined;
  for (const host of hosts) {
    const source = sourceOf(host);
    if (source?.env) {
      const value = process.env[source.env];
      if (value === undefined) throw new UsageError(`host ${host.name}: ${source.setting}_env names ${source.env}, which is not set; export it before running fleet`);
      passwords.set(host.name, value);
    } else if (source?.prompt) {
      prompted ??= await promptSecret(question, `${source.setting}_env`);
      passwords.set(host.name, prompted);
    }
  }
  return passwords;
}

/** What the prompt asks for: sudo and doas take the login user's own password, su takes root's. */
const BECOME_QUESTIONS: Record<BecomeMethod, string> = {
  sudo: 'sudo password: ',
  su: "root's password (for su): ",
  doas: 'doas password: ',
};

/** Each host's become password (become.password_env or become.password_prompt): one prompt per method. */
export async function collectBecomePasswords(hosts: readonly ResolvedHost[]): Promise<Map<string, string>> {
  const passwords = new Map<string, string>();
  for (const method of Object.keys(BECOME_QUESTIONS) as BecomeMethod[]) {
    const using = hosts.filter((host) => host.become.method === method);
    const found = await collectPasswords(using, (host) => (host.become.enabled ? { setting: 'become.password', env: host.become.passwordEnv, prompt: host.become.passwordPrompt } : undefined), BECOME_QUESTIONS[method]);
    for (const [host, password] of found) passwords.set(host, password);
  }
  return passwords;
}

/** The connection options that carry each host's become settings and password. */
export function becomeOpenOptions(passwords: ReadonlyMap<string, string>) {
  return (host: ResolvedHost) => ({ become: { enabled: host.become.enabled, method: host.become.method, password: passwords.get(host.name) } });
}
