import type { ResolvedHost } from '../inventory/resolve.ts';
import { directoryResource } from '../resources/directory.ts';
import { fileResource } from '../resources/file.ts';
import type { Resource } from '../resources/types.ts';
import { readTemplate } from '../templates/find.ts';
import { renderTemplate } from '../templates/render.ts';
import type { LoadedPlaybook } from './load.ts';

/** What templates and playbook expressions see: `{{host.name}}`, `{{host.labels.env}}`, `{{vars.x}}`. */
export function templateContext(host: ResolvedHost): Record<string, unknown> {
  return { host: { name: host.name, address: host.address, groups: host.groups, labels: host.labels }, vars: host.vars };
}

/**
 * Turns the playbooks into this host's resources, rendering every expression and template locally.
 * Runs before any connection, so a bad variable fails the run before a host is touched.
 */
export async function buildHostResources(playbooks: readonly LoadedPlaybook[], host: ResolvedHost, inventoryDir: string): Promise<Resource[]> {
  const context = templateContext(host);
  const resources: Resource[] = [];
  for (const { file, playbook } of playbooks) {
    for (const [index, task] of playbook.tasks.entries()) {
      const where = `${file} tasks.${index}`;
      const render = <T extends object>(spec: T, kind: string): T =>
        Object.fromEntries(
          Object.entries(spec).map(([key, value]) => [key, typeof value === 'string' && value.includes('{{') ? renderTemplate(`${where}.${kind}.${key}`, value, context) : value]),
        ) as T;
      if (task.directory) resources.push(directoryResource({ ...render(task.directory, 'directory'), tags: task.tags }));
      if (task.file) resources.push(fileResource({ ...render(task.file, 'file'), tags: task.tags }));
      if (task.template) {
        const spec = render(task.template, 'template');
        const template = await readTemplate(spec.src, inventoryDir);
        const content = renderTemplate(template.path, template.source, context);
        resources.push(fileResource({ path: spec.dest, content, mode: spec.mode, owner: spec.owner, group: spec.group, sensitive: spec.sensitive, tags: task.tags }));
      }
    }
  }
  return resources;
}
