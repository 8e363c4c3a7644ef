import { z } from 'zod';

const mode = z.string().regex(/^0?[0-7]{3}$/, 'expected an octal mode in quotes, like "0644"').transform((value) => value.padStart(4, '0'));
const absolutePath = z.string().regex(/^\//, 'expected an absolute path');
const account = z.string().regex(/^[a-z_][a-z0-9_-]*\$?$/, 'expected a user or group name');

const directory = z.strictObject({ path: absolutePath, mode: mode.default('0755'), owner: account.default('root'), group: account.default('root') });
const file = z.strictObject({
  path: absolutePath,
  content: z.string(),
  mode: mode.default('0644'),
  owner: account.default('root'),
  group: account.default('root'),
  sensitive: z.boolean().default(false),
});
const template = z.strictObject({
  src: z.string().min(1),
  dest: absolutePath,
  mode: mode.default('0644'),
  owner: account.default('root'),
  group: account.default('root'),
  sensitive: z.boolean().default(false),
});

export const RESOURCE_KINDS = ['directory', 'file', 'template'] as const;

/** One task: exactly one resource kind, plus tags. */
export const taskSchema = z
  .strictObject({
    name: z.string().optional(),
    tags: z.array(z.string().min(1)).default([]),
    directory: directory.optional(),
    file: file.optional(),
    template: template.optional(),
  })
  .refine((task) => RESOURCE_KINDS.filter((kind) => task[kind] !== undefined).length === 1, {
    message: `expected exactly one of ${RESOURCE_KINDS.join(', ')} in each task`,
  });

export const playbookSchema = z.strictObject({
  name: z.string().optional(),
  tasks: z.array(taskSchema),
});

export type Playbook = z.infer<typeof playbookSchema>;
export type Task = z.infer<typeof taskSchema>;
