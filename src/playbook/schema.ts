import { z } from 'zod';
import { CONDITION_FACTS } from '../engine/conditions.ts';

const mode = z.string().regex(/^0?[0-7]{3}$/, 'expected an octal mode in quotes, like "0644"').transform((value) => value.padStart(4, '0'));
/**
 * The schema of each resource kind. As typed in a playbook, a field may still hold `{{ }}` expressions
 * (rendered per host); once rendered, the same field is checked again with `expressions: false`, so a
 * variable meets the same rules as a literal (absolute paths, account names, enums, ports).
 */
function resourceKinds(expressions: boolean) {
  const orExpression = (pattern: RegExp) => (expressions ? new RegExp(`${pattern.source}|\\{\\{`) : pattern);
  const absolutePath = z.string().regex(orExpression(/^\/[^\0\n]*$/), 'expected an absolute path');
  // A leading - would be read as an option by useradd, chown and friends.
  const account = z.string().regex(orExpression(/^[a-z_][a-z0-9_-]*\$?$/), 'expected a user or group name');
  /** A number, or an expression that renders to one for each host. */
  const numberOrExpression = z.union([z.number().int().positive(), z.string().regex(orExpression(/^\d+$/), 'expected a number or a {{ expression }}')]);
  const ownership = { mode: mode.default('0644'), owner: account.default('root'), group: account.default('root') };
  const directory = z.strictObject({ path: absolutePath, mode: mode.default('0755'), owner: account.default('root'), group: account.default('root') });
  const file = z.strictObject({ path: absolutePath, content: z.string(), ...ownership, sensitive: z.boolean().default(false), validate: z.string().optional() });
  const template = z.strictObject({ src: z.string().min(1), dest: absolutePath, ...ownership, sensitive: z.boolean().default(false), validate: z.string().optional() });
  const unit = z.strictObject({
    name: z.string().regex(/^[\w@.-]+\.(service|socket|timer|target|path)(\.d\/[\w.-]+\.conf)?$/, 'expected a unit name like node_exporter.service or alloy.service.d/override.conf'),
    src: z.string().min(1),
  });
  const user = z.strictObject({
    name: account,
    group: account.optional(),
    groups: z.array(account).default([]),
    home: absolutePath.optional(),
    /** Change the account even when it is an existing login account (root or UID_MIN and up). */
    force: z.boolean().default(false),
  });
  // Once rendered, a URL must be one (curl and the controller's fetch get nothing else).
  const url = expressions ? z.string().min(1) : z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });
  const artifact = z.strictObject({
    name: z.string().regex(/^[\w.-]+$/),
    url,
    checksums_url: url.optional(),
    sha256: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/, 'expected a lowercase sha256')).optional(),
    member: z.string().min(1),
    dest: absolutePath,
    archs: z.array(z.string()).optional(),
    fetch: z.enum(['controller', 'host']).optional(),
    mirror: z.string().optional(),
  });
  const service = z.strictObject({
    name: z.string().regex(/^[\w@.-]+$/, 'expected a service name without .service'),
    enabled: z.boolean().default(true),
    state: z.enum(['started', 'stopped']).default('started'),
    ports: z.array(numberOrExpression).default([]),
  });
  const firewall = z.strictObject({
    port: numberOrExpression,
    sources: z.union([z.array(z.string()), z.string()]).default([]),
    state: z.enum(['present', 'absent']).default('present'),
  });
  const httpCheck = z.strictObject({
    url,
    /** host, controller, or the name of another inventory host. */
    from: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'expected host, controller or an inventory host name').default('host'),
    status: z.number().int().default(200),
    body: z.string().optional(),
    timeout: z.number().positive().default(30).describe('seconds'),
    service: z.string().optional(),
    /** Empty user: no auth (lets a playbook pass the inventory's optional setting straight through). */
    basic_auth: z.strictObject({ user: z.string(), password_env: z.string() }).optional(),
    insecure: z.union([z.boolean(), z.string()]).default(false),
  });
  // NUL cannot reach a program: sh and execve end the argument there.
  const noNul = (what: string) => z.string().regex(/^[^\0]*$/, `expected ${what} without NUL characters`);
  const command = z
    .strictObject({
      /** A program and its arguments, each one word on the host, byte for byte. */
      argv: z.array(noNul('an argument')).min(1).optional(),
      /** A script for /bin/sh -c. */
      shell: noNul('a shell command').min(1).optional(),
      /** Skip when this path exists. */
      creates: absolutePath.optional(),
      /** Skip when this read-only shell test exits 0 (it runs in the facts round trip, also in check mode). */
      unless: noNul('a shell test').min(1).optional(),
      chdir: absolutePath.optional(),
      become: z.boolean().default(true),
      timeout: z.number().int().positive().default(600).describe('seconds'),
    })
    .refine((spec) => (spec.argv === undefined) !== (spec.shell === undefined), { message: 'expected exactly one of argv (a list: program and arguments) or shell (a string for /bin/sh -c)' })
    .refine((spec) => !spec.argv || /^[^-\s]/.test(spec.argv[0]!), { message: 'the program to run must be a name or a path: not empty, not an option (-x), no leading space', path: ['argv', 0] });
  // Every manager's names are letters, digits and . _ + ~ -: a leading - would be an option, a space a second name.
  const packageName = z.string().regex(orExpression(/^[A-Za-z0-9_][A-Za-z0-9._+~-]*$/), 'expected a package name (letters, digits, . _ + ~ -; not starting with -)');
  const packages = z
    .strictObject({
      name: packageName.optional(),
      names: z.array(packageName).min(1).optional(),
      state: z.enum(['present', 'absent']).default('present'),
    })
    .refine((spec) => (spec.name === undefined) !== (spec.names === undefined), { message: 'expected exactly one of name (one package) or names (a list)' });
  return { directory, file, template, unit, user, artifact, service, firewall, http_check: httpCheck, command, package: packages };
}

const kinds = resourceKinds(true);
/** The kinds checked again after rendering: no `{{ }}` left, every field concrete. */
export const RENDERED_KINDS = resourceKinds(false);

const oneOrMany = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).transform((value) => (Array.isArray(value) ? value : [value]));
const varValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const varValues = z.union([varValue, z.array(varValue).min(1)]).transform((value) => (Array.isArray(value) ? value : [value]));
const varPath = z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$/, 'expected a variable path like node_exporter.enabled');
const when = z.strictObject({
  ...(Object.fromEntries(CONDITION_FACTS.map((fact) => [fact, oneOrMany.optional()])) as Record<(typeof CONDITION_FACTS)[number], z.ZodOptional<typeof oneOrMany>>),
  /** `vars: { "node_exporter.enabled": true }`: a variable's value (or one of a list). */
  vars: z.record(varPath, varValues).optional(),
});
const notify = z
  .array(z.string().regex(/^(restart|reload) [\w@.-]+$/, 'expected "restart SERVICE" or "reload SERVICE"'))
  .default([])
  .transform((items) => items.map((item) => ({ action: item.split(' ')[0] as 'restart' | 'reload', service: item.split(' ')[1]! })));

export const RESOURCE_KINDS = Object.keys(kinds) as (keyof typeof kinds)[];

/** One task: exactly one resource kind, plus tags, a `when` condition on facts and variables, and services to notify. */
export const taskSchema = z
  .strictObject({
    name: z.string().optional(),
    tags: z.array(z.string().min(1)).default([]),
    when: when.optional(),
    notify,
    ...Object.fromEntries(Object.entries(kinds).map(([kind, schema]) => [kind, schema.optional()])),
  } as { name: z.ZodOptional<z.ZodString>; tags: z.ZodDefault<z.ZodArray<z.ZodString>>; when: z.ZodOptional<typeof when>; notify: typeof notify } & {
    [K in keyof typeof kinds]: z.ZodOptional<(typeof kinds)[K]>;
  })
  .refine((task) => RESOURCE_KINDS.filter((kind) => task[kind] !== undefined).length === 1, {
    message: `expected exactly one of ${RESOURCE_KINDS.join(', ')} in each task`,
  });

export const playbookSchema = z.strictObject({
  name: z.string().optional(),
  /** Other playbooks (names or paths) run after this one's tasks, in order. */
  import: z.array(z.string().min(1)).default([]),
  tasks: z.array(taskSchema).default([]),
});

export type Playbook = z.infer<typeof playbookSchema>;
export type Task = z.infer<typeof taskSchema>;
