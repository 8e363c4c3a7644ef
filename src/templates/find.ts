import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.ts';
import { PACKAGE_ROOT } from '../package-root.ts';

/** A template from templates/ next to the inventory (the operator's override) or fleet's own; read once per run, not once per host. */
export function readTemplate(name: string, inventoryDir: string): Promise<{ path: string; source: string }> {
  const key = `${inventoryDir}\n${name}`;
  let read = templates.get(key);
  if (!read) templates.set(key, (read = readTemplateFile(name, inventoryDir)));
  return read;
}

const templates = new Map<string, Promise<{ path: string; source: string }>>();

async function readTemplateFile(name: string, inventoryDir: string): Promise<{ path: string; source: string }> {
  const candidates = [join(inventoryDir, 'templates', name), join(PACKAGE_ROOT, 'templates', name)];
  const path = candidates.find((candidate) => existsSync(candidate));
  if (!path) throw new UsageError(`template "${name}" not found; looked in ${candidates.join(' and ')}`);
  return { path, source: await readFile(path, 'utf8') };
}
