import bcrypt from 'bcryptjs';
import Handlebars, { type HelperDelegate } from 'handlebars';
import { UsageError } from '../errors.ts';
import { registerSecret } from '../connection/trace.ts';

import { rememberFreshHash } from './bcrypt-hashes.ts';

/**
 * A bcrypt hash with a random salt (a salt derived from the password would let guesses be tested at
 * SHA-256 speed). The file resource keeps the host's existing hash while the password still matches
 * it, so reruns do not rewrite the file.
 */
export function freshBcrypt(password: string): string {
  return rememberFreshHash(bcrypt.hashSync(password, bcrypt.genSaltSync(10)), password);
}

/** Helpers templates may use; each has one job and fails loudly rather than rendering nothing. */
export const TEMPLATE_HELPERS: Record<string, HelperDelegate> = {
  /** `{{json value}}`: a string or list as a JSON literal, safe inside YAML and Alloy strings. */
  json: (value: unknown) => JSON.stringify(value),
  /** `{{join list ","}}` */
  join: (list: unknown, separator: unknown) => (Array.isArray(list) ? list.join(typeof separator === 'string' ? separator : ',') : String(list ?? '')),
  eq: (a: unknown, b: unknown) => a === b,
  /** `{{or a b}}`: the first argument that is not empty (as #if sees it: '', [], false, null). */
  or: (...args: unknown[]) => args.slice(0, -1).find((value) => !Handlebars.Utils.isEmpty(value)) ?? '',
  /** The address to probe a service on from the host itself: a wildcard listen address means loopback. */
  local_address: (address: unknown) => (['', '0.0.0.0', '::', '[::]'].includes(String(address ?? '')) ? '127.0.0.1' : String(address)),
  regex_escape: (text: unknown) => String(text).replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
  /** `{{bcrypt_env "ENV_NAME"}}`: the password from the controller's environment, hashed. */
  bcrypt_env: (name: unknown) => {
    const password = process.env[String(name)];
    registerSecret(password);
    if (!password) throw new UsageError(`environment variable ${String(name)} is not set; export it with the password before running fleet`);
    return freshBcrypt(password);
  },
};
