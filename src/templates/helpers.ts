import bcrypt from 'bcryptjs';
import Handlebars, { type HelperDelegate } from 'handlebars';
import { isIP } from 'node:net';
import { UsageError } from '../errors.ts';
import { registerSecret } from '../connection/trace.ts';
import { alloyValidateFlags, checkExtraScrapes, remoteWriteUrl } from './alloy.ts';

import { rememberFreshHash } from './bcrypt-hashes.ts';
import { metricsProbeQuery } from './node-exporter.ts';

/**
 * A bcrypt hash with a random salt (a salt derived from the password would let guesses be tested at
 * SHA-256 speed). The file resource keeps the host's existing hash while the password still matches
 * it, so reruns do not rewrite the file.
 */
export function freshBcrypt(password: string): string {
  return rememberFreshHash(bcrypt.hashSync(password, bcrypt.genSaltSync(10)), password);
}

function bracketIPv6(address: string): string {
  return isIP(address) === 6 ? `[${address}]` : address;
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
  /** The address to probe a service on from the host itself, ready for a URL: a wildcard listen address means loopback. */
  local_address: (address: unknown) => (['', '0.0.0.0', '::', '[::]'].includes(String(address ?? '')) ? '127.0.0.1' : bracketIPv6(String(address))),
  /** `{{host_port address port}}`: a listen address as Go's flags take it (`[::]:9100`, not `:::9100`). */
  host_port: (address: unknown, port: unknown) => `${bracketIPv6(String(address ?? ''))}:${String(port)}`,
  /** `{{#each (alloy_extra_scrapes vars.alloy.extra_scrapes vars.alloy.host_metrics)}}`: the scrapes, names checked as Alloy labels. */
  alloy_extra_scrapes: (scrapes: unknown, hostMetrics: unknown) => checkExtraScrapes(scrapes, hostMetrics),
  /** `{{alloy_remote_write_url vars.alloy.remote_write_url fleet.prometheus_remote_write_url}}`: never empty. */
  alloy_remote_write_url: (configured: unknown, fromInventory: unknown) => remoteWriteUrl(configured, fromInventory),
  /** `{{alloy_validate_flags vars.alloy.extra_args}}`: the extra args `alloy validate` needs too, each quoted. */
  alloy_validate_flags: (extraArgs: unknown) => alloyValidateFlags(extraArgs),
  /** `{{node_exporter_probe_query vars.node_exporter}}`: `?collect%5B%5D=textfile` where that collector runs, else nothing. */
  node_exporter_probe_query: (settings: unknown) => metricsProbeQuery(settings as Parameters<typeof metricsProbeQuery>[0]),
  regex_escape: (text: unknown) => String(text).replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
  /** `{{bcrypt_env "ENV_NAME"}}`: the password from the controller's environment, hashed. */
  bcrypt_env: (name: unknown) => {
    const password = process.env[String(name)];
    registerSecret(password);
    if (!password) throw new UsageError(`environment variable ${String(name)} is not set; export it with the password before running fleet`);
    return freshBcrypt(password);
  },
};
