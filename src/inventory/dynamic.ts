import { execFile } from 'node:child_process';
import { access, constants, readFile } from 'node:fs/promises';
import { z } from 'zod';
import { UsageError } from '../errors.ts';
import { parseYamlSource, type Path, type YamlSource } from '../yaml/source.ts';
import { describeIssues } from '../yaml/zod-issues.ts';

/**
 * Dynamic inventories: an executable that prints Ansible's `--list` JSON (what cloud inventory scripts
 * speak), or a Prometheus file_sd JSON file. Each becomes an inventory fragment, validated later with the
 * inventory schema; every position points into the script's output or the JSON file.
 */
export async function isDynamicInventory(file: string): Promise<'ansible-script' | 'file-sd' | undefined> {
  if (file.endsWith('.json')) return 'file-sd';
  if (/\.ya?ml$/.test(file)) return undefined;
  return access(file, constants.X_OK).then(() => 'ansible-script' as const, () => undefined);
}

export async function readDynamicInventory(file: string, kind: 'ansible-script' | 'file-sd'): Promise<YamlSource> {
  if (kind === 'file-sd') return fromFileSd(parseYamlSource(file, await readFile(file, 'utf8')));
  const output = await runListScript(file);
  return fromAnsibleList(parseYamlSource(`${file} --list (its output)`, output));
}

function runListScript(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, ['--list'], { timeout: 120_000, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new UsageError(`${file} --list failed (${error.code ?? error.signal ?? error.message}): ${stderr.trim().split('\n').slice(-3).join(' ') || 'no error output'}`));
      else resolve(stdout);
    });
  });
}

const hostList = z.array(z.string());
const ansibleGroupObject = z.object({ hosts: hostList.optional(), children: z.array(z.string()).optional(), vars: z.record(z.string(), z.unknown()).optional() });
const ansibleGroup = z.union([hostList, ansibleGroupObject]);
const ansibleList = z.object({ _meta: z.object({ hostvars: z.record(z.string(), z.record(z.string(), z.unknown())) }).optional() }).catchall(ansibleGroup);
/** Ansible's connection variables that fleet has its own settings for. */
const CONNECTION_VARS: Record<string, Path> = { ansible_host: ['address'], ansible_user: ['ssh', 'user'], ansible_port: ['ssh', 'port'], ansible_ssh_private_key_file: ['ssh', 'identity_file'] };

function fromAnsibleList(output: YamlSource): YamlSource {
  const parsed = ansibleList.safeParse(output.data);
  if (!parsed.success) throw new UsageError(describeIssues(output, ansibleList, parsed.error.issues).join('\n'));
  const hosts: Record<string, Record<string, unknown> | null> = {};
  const groups: Record<string, Record<string, unknown>> = {};
  const defaults: Record<string, unknown> = {};
  for (const [name, vars] of Object.entries(parsed.data._meta?.hostvars ?? {})) hosts[name] = hostEntry(vars);
  for (const [group, raw] of Object.entries(parsed.data)) {
    if (group === '_meta') continue;
    const spec: z.infer<typeof ansibleGroupObject> = Array.isArray(raw) ? { hosts: raw } : (raw as z.infer<typeof ansibleGroupObject>);
    for (const name of spec.hosts ?? []) hosts[name] ??= null;
    if (group === 'all') {
      if (spec.vars) defaults.vars = spec.vars;
      continue;
    }
    if (group === 'ungrouped') continue;
    groups[group] = {
      ...(spec.hosts?.length ? { hosts: Object.fromEntries(spec.hosts.map((name) => [name, null])) } : {}),
      ...(children(spec).length ? { children: children(spec) } : {}),
      ...(spec.vars ? { vars: spec.vars } : {}),
    };
  }
  const data = { ...(Object.keys(defaults).length ? { defaults } : {}), groups, hosts };
  return {
    file: output.file,
    data,
    positionOf(path, key) {
      const full = key === undefined ? [...path] : [...path, key];
      const [section, name, field, ...rest] = full;
      if (section === 'hosts' && name !== undefined) {
        const connection = Object.entries(CONNECTION_VARS).find(([, target]) => target.every((segment, index) => full[2 + index] === segment));
        if (connection) return output.positionOf(['_meta', 'hostvars', name, connection[0]]);
        return output.positionOf(['_meta', 'hostvars', name, ...(field === 'vars' ? rest : [])]);
      }
      if (section === 'groups' && name !== undefined) return output.positionOf([name, ...(field === undefined ? [] : [field, ...rest])]);
      if (section === 'defaults') return output.positionOf(['all', ...full.slice(1)]);
      return output.positionOf([]);
    },
  };
}

const children = (spec: z.infer<typeof ansibleGroupObject>) => (spec.children ?? []).filter((child) => child !== 'ungrouped');

function hostEntry(vars: Record<string, unknown>): Record<string, unknown> | null {
  const entry: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(vars)) {
    const target = CONNECTION_VARS[key];
    if (!target) {
      rest[key] = value;
      continue;
    }
    if (target.length === 1) entry[target[0] as string] = value;
    else entry.ssh = { ...(entry.ssh as object | undefined), [target[1] as string]: value };
  }
  if (Object.keys(rest).length) entry.vars = rest;
  return Object.keys(entry).length ? entry : null;
}

const fileSd = z.array(z.object({ targets: z.array(z.string().regex(/^(\[[^\]]+\]|[^:]+)(:\d+)?$/, 'expected host:port')), labels: z.record(z.string(), z.string()).optional() }));

/** A file_sd file: each target is a host named by its `instance` label (else its address); `groups` (`,a,b,`) names its groups, other labels stay labels. */
function fromFileSd(source: YamlSource): YamlSource {
  const parsed = fileSd.safeParse(source.data);
  if (!parsed.success) throw new UsageError(describeIssues(source, fileSd, parsed.error.issues).join('\n'));
  const hosts: Record<string, Record<string, unknown>> = {};
  const groups: Record<string, { hosts: Record<string, null> }> = {};
  const origin = new Map<string, Path>();
  parsed.data.forEach((group, index) => {
    group.targets.forEach((target, targetIndex) => {
      const address = target.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
      const { instance, groups: groupLabel, job: _job, ...labels } = group.labels ?? {};
      const name = group.targets.length === 1 && instance ? instance : address;
      const memberOf = (groupLabel ?? '').split(',').filter(Boolean);
      hosts[name] = { address, ...(Object.keys(labels).length ? { labels } : {}) };
      origin.set(name, [index, 'targets', targetIndex]);
      for (const member of memberOf) (groups[member] ??= { hosts: {} }).hosts[name] = null;
    });
  });
  return {
    file: source.file,
    data: { groups, hosts },
    positionOf(path) {
      const [section, name] = path;
      return source.positionOf(section === 'hosts' && typeof name === 'string' ? origin.get(name) ?? [] : []);
    },
  };
}
