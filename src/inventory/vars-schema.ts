import { isIP } from 'node:net';
import { z } from 'zod';
import { UsageError } from '../errors.ts';
import type { ResolvedHost } from './resolve.ts';

// The settings fleet's own playbooks and templates put into commands, unit files and configs. They are
// checked once merged (defaults, groups, host, -e), so a value typed with -e meets the same rules as one
// in the file. Unknown keys stay free: operators' own playbooks read their own variables.
// These paths go into unit files' command lines too, where a space would split the argument.
const absolutePathOrEmpty = z.string().regex(/^(\/[^\0\s"'`$\\]*)?$/, 'expected an absolute path without spaces, quotes, $ or backslashes (or empty)');
const absolutePath = z.string().regex(/^\/[^\0\s"'`$\\]*$/, 'expected an absolute path without spaces, quotes, $ or backslashes');
const version = z.string().regex(/^\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$/, 'expected a release version like 1.12.1');
const listenAddress = z.string().refine((value) => isIP(value) !== 0 || value === '', 'expected an IP address to listen on (0.0.0.0 for all)');
const port = z.coerce.number().int().min(1).max(65535);
const envName = z.string().regex(/^([A-Za-z_][A-Za-z0-9_]*)?$/, 'expected an environment variable name');
/** A command-line flag handed to the daemon: one word starting with --. */
const flag = z.string().regex(/^--[A-Za-z0-9][\w.-]*(=[^\s"'\\$`]*)?$/, 'expected one flag like --name=value, without spaces, quotes or $');
const collector = z.string().regex(/^[a-z0-9_.]+$/, 'expected a collector name like systemd');
const sources = z.union([z.string(), z.array(z.string())]);

const knownVars = z.looseObject({
  artifacts: z.looseObject({ mirror: z.union([z.literal(''), z.url({ protocol: /^https?$/ })]).optional(), fetch: z.enum(['controller', 'host']).optional() }).optional(),
  node_exporter: z
    .looseObject({
      version: version.optional(),
      listen_address: listenAddress.optional(),
      port: port.optional(),
      allow_from: sources.optional(),
      collectors_enabled: z.array(collector).optional(),
      collectors_disabled: z.array(collector).optional(),
      textfile_directory: absolutePathOrEmpty.optional(),
      extra_flags: z.array(flag).optional(),
      protect_home: z.enum(['read-only', 'yes', 'no', 'tmpfs']).optional(),
      web: z
        .looseObject({
          basic_auth_user: z.string().regex(/^[^\s:"\\]*$/, 'expected a user name without spaces, colons, quotes or backslashes').optional(),
          basic_auth_password_env: envName.optional(),
          tls_cert_file: absolutePathOrEmpty.optional(),
          tls_key_file: absolutePathOrEmpty.optional(),
        })
        .optional(),
    })
    .optional(),
  alloy: z
    .looseObject({
      version: version.optional(),
      listen_address: listenAddress.optional(),
      port: port.optional(),
      allow_from: sources.optional(),
      stability_level: z.enum(['generally-available', 'public-preview', 'experimental']).optional(),
      storage_path: absolutePath.optional(),
      extra_args: z.array(flag).optional(),
    })
    .optional(),
});

/** Refuses a host whose merged variables break fleet's rules, naming the variable and the layer that set it. */
export function checkKnownVars(host: ResolvedHost): void {
  const parsed = knownVars.safeParse(host.vars);
  if (parsed.success) return;
  const problems = parsed.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const source = host.sources[`vars.${path}`] ?? host.sources[`vars.${path.replace(/\.\d+$/, '')}`];
    const message = issue.code === 'invalid_value' ? `expected one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}` : issue.message;
    return `host ${host.name}: vars.${path}${source ? ` (set by ${source})` : ''}: ${message}, found ${JSON.stringify(valueAt(host.vars, issue.path))}`;
  });
  throw new UsageError(problems.join('\n'));
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let value = data;
  for (const segment of path) value = value === null || typeof value !== 'object' ? undefined : (value as Record<PropertyKey, unknown>)[segment];
  return value;
}
