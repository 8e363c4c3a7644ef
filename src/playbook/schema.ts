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
  return { directory, file, template, unit, user, artifact, service, firewall, http_check: httpCheck };
}

const kinds = resourceKinds(true);
/** The kinds checked again after rendering: no `{{ }}` left, every field concrete. */
export const RENDERED_KINDS = resourceKinds(false);

const oneOrMany = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).transform((value) => (Array.isArray(value) ? value : [value]));
const when = z.strictObject(Object.fromEntries(CONDITION_FACTS.map((fact) => [fact, oneOrMany.optional()])) as Record<(typeof CONDITION_FACTS)[number], z.ZodOptional<typeof oneOrMany>>);
const notify = z
  .array(z.string().regex(/^(restart|reload) [\w@.-]+$/, 'expected "restart SERVICE" or "reload SERVICE"'))
  .default([])
  .transform((items) => items.map((item) => ({ action: item.split(' ')[0] as 'restart' | 'reload', service: item.split(' ')[1]! })));

export const RESOURCE_KINDS = Object.keys(kinds) as (keyof typeof kinds)[];

/** One task: exactly one resource kind, plus tags, a `when` condition on facts and services to notify. */
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
