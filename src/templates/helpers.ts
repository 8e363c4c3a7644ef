import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';
import Handlebars, { type HelperDelegate } from 'handlebars';
import { UsageError } from '../errors.ts';
import { registerSecret } from '../connection/trace.ts';

/** A bcrypt hash whose salt derives from the seed (the host's name), so reruns render the same file. */
export function stableBcrypt(password: string, seed: string): string {
  const saltBytes = createHash('sha256').update(`fleet bcrypt salt\0${seed}\0${password}`).digest().subarray(0, 16);
  return bcrypt.hashSync(password, `$2b$10$${bcrypt.encodeBase64(saltBytes, 16)}`);
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
  /** `{{bcrypt_env "ENV_NAME" host.name}}`: the password from the controller's environment, hashed. */
  bcrypt_env: (name: unknown, seed: unknown) => {
    const password = process.env[String(name)];
    registerSecret(password);
    if (!password) throw new UsageError(`environment variable ${String(name)} is not set; export it with the password before running fleet`);
    return stableBcrypt(password, String(seed));
  },
};
