import type { HostProgram } from '../engine/host-plan.ts';
import { shellQuote } from '../connection/quote.ts';
import { UsageError } from '../errors.ts';
import type { ResolvedHost } from '../inventory/resolve.ts';
import { normaliseSources } from '../firewall/sources.ts';
import { unmetVarsCondition } from '../engine/conditions.ts';
import { artifactResource } from '../resources/artifact.ts';
import { commandResource, commandSummary } from '../resources/command.ts';
import { directoryResource } from '../resources/directory.ts';
import { fileResource } from '../resources/file.ts';
import { firewallPortResource } from '../resources/firewall-port.ts';
import { httpCheck, type HttpCheckSpec } from '../resources/http-check.ts';
import { packageResource } from '../resources/package.ts';
import { serviceResource } from '../resources/service.ts';
import { systemUserResource } from '../resources/system-user.ts';
import type { Resource } from '../resources/types.ts';
import { unitFileResource } from '../resources/unit-file.ts';
import { readTemplate } from '../templates/find.ts';
import { renderTemplate } from '../templates/render.ts';
import type { LoadedPlaybook } from './load.ts';
import { RENDERED_KINDS, RESOURCE_KINDS, type Task } from './schema.ts';

/** Fleet-wide facts templates may use, the same for every host. */
export interface FleetContext {
  /** Addresses of the Prometheus servers the inventory names (the default firewall sources). */
  prometheus_addresses: string[];
  /** The first server's remote-write endpoint, where Alloy sends extra scrapes unless told otherwise. */
  prometheus_remote_write_url: string;
  /** prometheus.scrape_interval: Alloy's scrapes take it too, so both paths sample hosts alike; '' when unset. */
  prometheus_scrape_interval: string;
}

export const NO_FLEET_CONTEXT: FleetContext = { prometheus_addresses: [], prometheus_remote_write_url: '', prometheus_scrape_interval: '' };

/** Every host of the inventory by name, for checks that start on another host. */
export type InventoryHosts = ReadonlyMap<string, ResolvedHost>;

/** What templates and playbook expressions see: `{{host.name}}`, `{{host.labels.env}}`, `{{vars.x}}`, `{{fleet.prometheus_addresses}}`. */
export function templateContext(host: ResolvedHost, fleet: FleetContext = NO_FLEET_CONTEXT): Record<string, unknown> {
  return { host: { name: host.name, address: host.address, groups: host.groups, labels: host.labels }, vars: host.vars, fleet };
}

/** Fields that are shell commands: every value rendered into them is quoted as one shell word. */
const SHELL_FIELDS = new Set(['validate', 'shell', 'unless']);

/** The context with every string shell-quoted, for rendering into a command. */
function shellQuotedContext(value: unknown): unknown {
  if (typeof value === 'string') return shellQuote(value);
  if (Array.isArray(value)) return value.map(shellQuotedContext);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, shellQuotedContext(item)]));
  return value;
}

/** Renders every `{{ }}` string inside a task's spec, naming the task and field on error. */
function renderSpec<T>(value: T, where: string, context: Record<string, unknown>, field = ''): T {
  if (typeof value === 'string') {
    if (!value.includes('{{')) return value;
    return renderTemplate(where, value, SHELL_FIELDS.has(field) ? (shellQuotedContext(context) as Record<string, unknown>) : context) as T;
  }
  if (Array.isArray(value)) return value.map((item, index) => renderSpec(item, `${where}.${index}`, context, field)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, renderSpec(item, `${where}.${key}`, context, key)])) as T;
  }
  return value;
}

/** Checks a rendered spec with the same rules as a literal one; names the field and what it rendered to. */
function checkRendered(kind: keyof typeof RENDERED_KINDS, spec: unknown, where: string, host: ResolvedHost): void {
  const checked = RENDERED_KINDS[kind].safeParse(spec);
  if (checked.success) return;
  const problems = checked.error.issues.map((issue) => {
    let value: unknown = spec;
    for (const segment of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[segment];
    return `${where}.${[kind, ...issue.path.map(String)].join('.')}: ${issue.message}, but for host ${host.name} it renders to ${JSON.stringify(value)}`;
  });
  throw new UsageError(problems.join('\n'));
}

function toPort(value: number | string, where: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`${where}: expected a TCP port, got "${value}"`);
  return port;
}

function toList(value: string | string[]): string[] {
  return (Array.isArray(value) ? value : value.split(/[\s,]+/)).map((item) => item.trim()).filter(Boolean);
}

interface ArtifactSettings {
  mirror?: string;
  fetch?: 'controller' | 'host';
}

/** `vars.artifacts`: a mirror replacing https://github.com for air-gapped sites, and who downloads. */
function artifactSettings(host: ResolvedHost): ArtifactSettings {
  const settings = (host.vars.artifacts ?? {}) as ArtifactSettings;
  return { mirror: settings.mirror || undefined, fetch: settings.fetch };
}

function withMirror(url: string, mirror: string | undefined): string {
  return mirror && url.startsWith('https://github.com/') ? `${mirror.replace(/\/$/, '')}/${url.slice('https://github.com/'.length)}` : url;
}

async function buildTask(task: Task, where: string, host: ResolvedHost, inventoryDir: string, fleet: FleetContext, peers: InventoryHosts): Promise<{ resource?: Resource; check?: ReturnType<typeof httpCheck> }> {
  const context = templateContext(host, fleet);
  const common = { tags: task.tags, notify: task.notify };
  const render = <T>(spec: T, kind: keyof typeof RENDERED_KINDS) => {
    const rendered = renderSpec(spec, `${where}.${kind}`, context);
    checkRendered(kind, rendered, where, host);
    return rendered;
  };
  const renderFile = async (src: string) => {
    const template = await readTemplate(src, inventoryDir);
    return renderTemplate(template.path, template.source, context);
  };
  if (task.directory) return { resource: directoryResource({ ...render(task.directory, 'directory'), ...common }) };
  if (task.file) return { resource: fileResource({ ...render(task.file, 'file'), ...common }) };
  if (task.template) {
    const spec = render(task.template, 'template');
    return { resource: fileResource({ ...spec, path: spec.dest, content: await renderFile(spec.src), ...common }) };
  }
  if (task.unit) {
    const spec = render(task.unit, 'unit');
    return { resource: unitFileResource({ path: `/etc/systemd/system/${spec.name}`, content: await renderFile(spec.src), mode: '0644', owner: 'root', group: 'root', ...common }) };
  }
  if (task.user) {
    const spec = render(task.user, 'user');
    return { resource: systemUserResource({ ...spec, group: spec.group ?? spec.name, ...common }) };
  }
  if (task.artifact) {
    const spec = render(task.artifact, 'artifact');
    const settings = artifactSettings(host);
    const mirror = spec.mirror || settings.mirror;
    return {
      resource: artifactResource({
        name: spec.name,
        url: withMirror(spec.url, mirror),
        checksumsUrl: spec.checksums_url ? withMirror(spec.checksums_url, mirror) : undefined,
        sha256: spec.sha256,
        member: spec.member,
        dest: spec.dest,
        archs: spec.archs,
        fetch: spec.fetch ?? settings.fetch ?? 'controller',
        ...common,
      }),
    };
  }
  if (task.service) {
    const spec = render(task.service, 'service');
    return { resource: serviceResource({ ...spec, ports: spec.ports.map((port, index) => toPort(port, `${where}.service.ports.${index}`)), ...common }) };
  }
  if (task.command) {
    const { argv, shell, ...spec } = render(task.command, 'command');
    const run = argv ? { argv } : { shell: shell! };
    // Named as written, before rendering: a value rendered into the command stays out of the recap and --json.
    const name = task.name ?? commandSummary(task.command.argv ? { argv: task.command.argv } : { shell: task.command.shell! });
    return { resource: commandResource({ run, creates: spec.creates, unless: spec.unless, chdir: spec.chdir, become: spec.become, loginUser: host.ssh.user, timeoutSeconds: spec.timeout, name, ...common }) };
  }
  if (task.package) {
    const spec = render(task.package, 'package');
    return { resource: packageResource({ names: spec.names ?? [spec.name!], state: spec.state, ...common }) };
  }
  if (task.firewall) {
    const spec = render(task.firewall, 'firewall');
    const { sources, resolved } = await normaliseSources(toList(spec.sources), `${where}.firewall.sources`);
    return { resource: firewallPortResource({ port: toPort(spec.port, `${where}.firewall.port`), sources, resolved, state: spec.state, ...common }) };
  }
  const spec = render(task.http_check!, 'http_check');
  const basicAuth = spec.basic_auth?.user ? { user: spec.basic_auth.user, passwordEnv: spec.basic_auth.password_env } : undefined;
  const insecure = spec.insecure === true || spec.insecure === 'true';
  let from: HttpCheckSpec['from'];
  if (spec.from === 'host' || spec.from === 'controller') from = spec.from;
  else {
    const peer = peers.get(spec.from);
    if (!peer) throw new UsageError(`${where}.http_check.from: "${spec.from}" is not host, controller or a host of the inventory`);
    from = { peer: peer.name, target: peer.ssh };
  }
  return { check: httpCheck({ url: spec.url, from, status: spec.status, body: spec.body, timeoutSeconds: spec.timeout, service: spec.service, basicAuth, insecure, tags: task.tags }) };
}

/**
 * Turns the playbooks into this host's program, rendering every expression and template locally.
 * Runs before any connection, so a bad variable fails the run before a host is touched.
 */
export async function buildHostProgram(playbooks: readonly LoadedPlaybook[], host: ResolvedHost, inventoryDir: string, fleet?: FleetContext, peers: InventoryHosts = new Map()): Promise<HostProgram> {
  const program: HostProgram = { resources: [], checks: [] };
  for (const { file, playbook } of playbooks) {
    for (const [index, task] of playbook.tasks.entries()) {
      // Variables are known before connecting: a task they rule out is not even rendered (its variables may be unset).
      const skipped = unmetVarsCondition(task.when?.vars, host.vars);
      if (skipped) {
        program.resources.push({ resource: skippedTask(task, skipped) });
        continue;
      }
      const built = await buildTask(task, `${file} tasks.${index}`, host, inventoryDir, fleet ?? NO_FLEET_CONTEXT, peers);
      if (built.resource) program.resources.push({ resource: built.resource, when: task.when });
      if (built.check) program.checks.push({ check: built.check, when: task.when });
    }
  }
  return program;
}

/** A task `when: { vars }` rules out for this host: reported as skipped, with why, and never applied. */
function skippedTask(task: Task, reason: string): Resource {
  const kind = RESOURCE_KINDS.find((name) => task[name] !== undefined)!;
  // Named as the built resource would be, from the fields as typed (they are not rendered).
  const spec = task[kind] as Record<string, unknown>;
  const what = [spec.path, spec.dest, spec.name, spec.names, spec.url, spec.port, spec.argv, spec.shell].find((value) => value !== undefined);
  const id = `${kind} ${task.name ?? (Array.isArray(what) ? what.join(' ') : String(what))}`;
  return {
    id,
    tags: task.tags,
    facts: () => [],
    plan: () => ({ resource: id, action: 'skip', reason }),
    apply: async () => {},
  };
}
