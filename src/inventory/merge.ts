import { UsageError } from '../errors.ts';

/** A layer of settings and the name it is reported under (`defaults`, `group web`, `host`, `-e`). */
export interface Layer {
  source: string;
  values: Record<string, unknown>;
}

export interface Merged {
  values: Record<string, unknown>;
  /** For every leaf, dotted path -> the layer that set it. */
  sources: Record<string, string>;
}

/** Deep-merges plain objects, later layers winning; lists and scalars are replaced whole. */
export function mergeLayers(layers: readonly Layer[]): Merged {
  const values: Record<string, unknown> = {};
  const sources: Record<string, string> = {};
  for (const layer of layers) mergeInto(values, layer.values, layer.source, '', sources);
  return { values, sources };
}

function mergeInto(target: Record<string, unknown>, incoming: Record<string, unknown>, source: string, prefix: string, sources: Record<string, string>): void {
  for (const [key, value] of Object.entries(incoming)) {
    if (value === undefined) continue;
    const path = prefix ? `${prefix}.${key}` : key;
    // Merging into `__proto__` would write into Object.prototype for the whole program.
    if (isReservedKey(key)) throw new UsageError(`${source}: "${path}" is reserved by JavaScript and cannot be a variable name`);
    if (isPlainObject(value)) {
      if (!isPlainObject(target[key])) {
        forgetSourcesUnder(sources, path);
        target[key] = {};
      }
      mergeInto(target[key] as Record<string, unknown>, value, source, path, sources);
      if (Object.keys(value).length === 0 && !(path in sources)) sources[path] = source;
    } else {
      forgetSourcesUnder(sources, path);
      target[key] = value;
      sources[path] = source;
    }
  }
}

function forgetSourcesUnder(sources: Record<string, string>, path: string): void {
  for (const key of Object.keys(sources)) if (key === path || key.startsWith(`${path}.`)) delete sources[key];
}

/** Keys that reach an object's prototype instead of the object when assigned. */
export function isReservedKey(key: string): boolean {
  return key === '__proto__' || key === 'constructor' || key === 'prototype';
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
