import type { z } from 'zod';
import type { Path, YamlSource } from './source.ts';
import { suggestClosest } from './suggest.ts';

/** Turns zod issues into lines of the form `file:line:col: path: expected …, found …`. */
export function describeIssues(source: YamlSource, schema: z.ZodType, issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => {
    const path = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(schema, path);
      return issue.keys.map((key) => {
        const { line, col, file = source.file } = source.positionOf(path, key);
        const hint = suggestClosest(key, known);
        const where = formatPath([...path, key]);
        const allowed = known.length ? ` (allowed here: ${known.join(', ')})` : '';
        return `${file}:${line}:${col}: ${where}: unknown key${hint ? `; did you mean "${hint}"?` : allowed}`;
      });
    }
    if (issue.code === 'invalid_key' || (issue.code === 'custom' && !issue.message.startsWith('expected'))) {
      // A refused key, or a rule that says itself what is wrong: point at the key, quote the rule.
      const { line, col, file = source.file } = path.length > 0 ? source.positionOf(path.slice(0, -1), String(path[path.length - 1])) : source.positionOf(path);
      const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
      return [`${file}:${line}:${col}: ${formatPath(path)}: ${message}`];
    }
    const { line, col, file = source.file } = source.positionOf(path);
    return [`${file}:${line}:${col}: ${formatPath(path)}: ${expectation(issue)}, found ${describeValue(valueAt(source.data, path))}`];
  });
}

export function formatPath(path: Path): string {
  // A key that is empty, has spaces or dots is quoted, so the path still reads as one.
  return path.length === 0 ? '(top level)' : path.map((segment) => (typeof segment === 'number' || /^[^\s."]+$/.test(segment) ? String(segment) : JSON.stringify(segment))).join('.');
}

function expectation(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected === 'nonoptional' ? 'a value' : `a ${issue.expected}`}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    case 'too_small':
      // positive() is "> 0": saying ">= 0" about a refused 0 would contradict itself.
      return issue.origin === 'number' ? `expected a number ${issue.inclusive === false ? '>' : '>='} ${issue.minimum}` : `expected at least ${issue.minimum} item(s)`;
    case 'too_big':
      return issue.origin === 'number' ? `expected a number <= ${issue.maximum}` : `expected at most ${issue.maximum} item(s)`;
    default:
      return issue.message.startsWith('expected') ? issue.message : `expected ${issue.message.toLowerCase()}`;
  }
}

function valueAt(data: unknown, path: Path): unknown {
  let value = data;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null (an empty value)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  return `${typeof value} ${String(value)}`;
}

/** The keys an object schema accepts at `path`, for "did you mean" hints. */
function knownKeysAt(schema: z.ZodType, path: Path): string[] {
  let current: unknown = schema;
  for (const segment of [...path, '']) {
    current = unwrap(current);
    const def = (current as { _zod?: { def?: Record<string, unknown> } })?._zod?.def;
    if (!def) return [];
    if (segment === '') return def.type === 'object' ? Object.keys(def.shape as object) : [];
    if (def.type === 'object') current = (def.shape as Record<string, unknown>)[segment];
    else if (def.type === 'record') current = def.valueType;
    else if (def.type === 'array') current = def.element;
    else return [];
  }
  return [];
}

function unwrap(schema: unknown): unknown {
  let current = schema as { _zod?: { def?: Record<string, unknown> } } | undefined;
  for (;;) {
    const def = current?._zod?.def;
    if (def?.type === 'optional' || def?.type === 'nullable' || def?.type === 'default') current = def.innerType as typeof current;
    else if (def?.type === 'pipe') current = def.in as typeof current;
    else return current;
  }
}
