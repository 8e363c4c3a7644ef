import { isIP } from 'node:net';
import { z } from 'zod';

const HOSTNAME = /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*\.?$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export const addressSchema = z
  .string()
  .refine((value) => isIP(value) !== 0 || HOSTNAME.test(value), {
    message: 'expected an IPv4 or IPv6 address or a DNS name',
  });

const port = z.number().int().min(1).max(65535);

export const hostKeyCheckingSchema = z.enum(['strict', 'accept-new', 'off']);

export const sshSchema = z.strictObject({
  user: z.string().min(1).optional(),
  port: port.optional(),
  identity_file: z.string().min(1).optional(),
  /** Use the ssh-agent at $SSH_AUTH_SOCK. */
  agent: z.boolean().optional(),
  /** Bastion as [user@]host[:port]; an alias from ~/.ssh/config works too. */
  jump: z.string().min(1).optional(),
  connect_timeout: z.number().positive().optional(),
  /** Seconds the whole run on one host may take before fleet gives up on it (default 1800). */
  host_timeout: z.number().positive().optional(),
  host_key_checking: hostKeyCheckingSchema.optional(),
  known_hosts_file: z.string().min(1).optional(),
});

export const becomeSchema = z.strictObject({
  enabled: z.boolean().optional(),
  /** How the login user becomes root: sudo (the default), su (root's password) or doas (OpenDoas). */
  method: z.enum(['sudo', 'su', 'doas']).optional(),
  /** Name of an environment variable holding the become password (the user's for sudo and doas, root's for su); never in the file. */
  password_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name').optional(),
  /** Ask for the become password on the terminal once per run (once per method). */
  password_prompt: z.boolean().optional(),
});

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name');

/** How `fleet bootstrap` logs in to a fresh host the first time, and what it sets up. */
export const bootstrapSchema = z.strictObject({
  /** The image's initial login: root with a password, or the cloud image's default user with a key. */
  user: z.string().min(1).optional(),
  /** The initial password comes from this environment variable (never from the file), or from a prompt. */
  password_env: envName.optional(),
  password_prompt: z.boolean().optional(),
  /** Key for the initial login (cloud images); when unset, only the password is tried. */
  identity_file: z.string().min(1).optional(),
  /** Public key installed for the deploy user (ssh.user); default: ssh.identity_file + .pub. */
  authorized_key_file: z.string().min(1).optional(),
  /** Disable password logins and root login in sshd once the deploy user works. */
  harden_sshd: z.boolean().optional(),
  /** More sshd lines for the hardening drop-in (checked with sshd -t before use). */
  sshd_extra: z.string().optional(),
});

// In a file_sd target, `job` overrides the scrape job's name and `__*` labels change how Prometheus
// scrapes it: either silently breaks registration, so the inventory may not set them.
const labelName = z
  .string()
  .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'expected a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)')
  .refine((name) => name !== 'job' && !name.startsWith('__'), { message: 'reserved label: "job" and names starting with "__" would override how Prometheus scrapes the target; choose another name' });
export const labelsSchema = z.record(labelName, z.union([z.string(), z.number(), z.boolean()]).transform(String));

/** Free-form variables; only keys that would reach Object.prototype when merged are refused. */
export const varsSchema = z.record(z.string(), z.unknown()).superRefine((vars, ctx) => {
  const visit = (value: unknown, path: (string | number)[]) => {
    if (value === null || typeof value !== 'object') return;
    for (const [key, item] of Object.entries(value)) {
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
        ctx.addIssue({ code: 'custom', path: [...path, key], message: `"${key}" is reserved by JavaScript and cannot be a variable name` });
      } else visit(item, [...path, Array.isArray(value) ? Number(key) : key]);
    }
  };
  visit(vars, []);
});

/** What every level (defaults, group, host) may set; merged with host > group > defaults. */
const settingsShape = {
  ssh: sshSchema.optional(),
  become: becomeSchema.optional(),
  labels: labelsSchema.optional(),
  vars: varsSchema.optional(),
  bootstrap: bootstrapSchema.optional(),
};

export const hostSchema = z.strictObject({
  address: addressSchema.optional(),
  groups: z.array(z.string().regex(NAME)).optional(),
  ...settingsShape,
});

export const groupSchema = z.strictObject({
  hosts: z.record(z.string().regex(NAME, 'expected a host name'), hostSchema.nullable()).nullable().optional(),
  children: z.array(z.string().regex(NAME)).optional(),
  ...settingsShape,
});

const absolutePath = z.string().regex(/^\//, 'expected an absolute path');

/** The central Prometheus servers fleet registers every host with (an HA pair is common). */
export const prometheusSchema = z.strictObject({
  servers: z
    .array(
      z.strictObject({
        /** An inventory host: fleet reaches it over SSH like any other. */
        host: z.string().regex(NAME, 'expected the name of a host in this inventory'),
        /** Where Prometheus answers, as seen from its own host; default http://ADDRESS:9090. */
        url: z.url({ protocol: /^https?$/ }).optional(),
        file_sd_dir: absolutePath.default('/etc/prometheus/file_sd'),
        config_file: absolutePath.default('/etc/prometheus/prometheus.yml'),
      }),
    )
    .min(1, 'expected at least one server'),
  /** scrape_interval of fleet's jobs; Prometheus' global one when unset. */
  scrape_interval: z.string().regex(/^\d+(ms|s|m|h)$/, 'expected a Prometheus duration like 15s or 1m').optional(),
  /** How long to wait for every target to be up after registering, in seconds. */
  wait_for_targets: z.number().positive().default(90),
});

export const inventorySchema = z.strictObject({
  prometheus: prometheusSchema.optional(),
  defaults: z.strictObject(settingsShape).optional(),
  groups: z.record(z.string().regex(NAME, 'expected a group name'), groupSchema.nullable()).nullable().optional(),
  hosts: z.record(z.string().regex(NAME, 'expected a host name'), hostSchema.nullable()).nullable().optional(),
  ssh_config_file: z.string().min(1).optional(),
});

export type InventoryFile = z.infer<typeof inventorySchema>;
export type PrometheusSettings = z.infer<typeof prometheusSchema>;
export type HostEntry = z.infer<typeof hostSchema>;
export type SshSettings = z.infer<typeof sshSchema>;
export type BecomeSettings = z.infer<typeof becomeSchema>;
export type BecomeMethod = NonNullable<BecomeSettings['method']>;
export type BootstrapSettings = z.infer<typeof bootstrapSchema>;
export type HostKeyChecking = z.infer<typeof hostKeyCheckingSchema>;
