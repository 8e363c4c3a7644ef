import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { UsageError } from '../errors.ts';
import { parseYamlSource, type Path, type YamlSource } from '../yaml/source.ts';
import { isPlainObject, isReservedKey } from './merge.ts';

/**
 * Parses `-e` arguments as Ansible takes them, merged in order (later wins, mappings merge deeply):
 * `key=value` (dotted keys nest, `node_exporter.port=9200`; values are YAML scalars), `@file` (a YAML or
 * JSON mapping, relative to the working directory) and an inline mapping (`{"a": 1}` or `{a: 1}`).
 */
export function parseExtraVars(args: readonly string[]): Record<string, unknown> {
  const vars: Record<string, unknown> = {};
  for (const arg of args) {
    if (arg.startsWith('@')) mergeDeep(vars, readVarsFile(arg.slice(1)));
    else if (/^\s*[{[]/.test(arg)) mergeDeep(vars, parseMapping(`-e '${arg}'`, arg));
    else mergeDeep(vars, parsePair(arg));
  }
  return vars;
}

function parsePair(pair: string): Record<string, unknown> {
  const equals = pair.indexOf('=');
  if (equals <= 0) throw new UsageError(`-e ${pair}: expected key=value, @file.yaml or a {"json": mapping}, for example -e node_exporter.port=9200`);
  const keys = pair.slice(0, equals).split('.');
  if (keys.some((key) => !/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key))) {
    throw new UsageError(`-e ${pair}: "${pair.slice(0, equals)}" is not a variable name (letters, digits, _ and -, dots to nest)`);
  }
  const reserved = keys.find(isReservedKey);
  if (reserved) throw new UsageError(`-e ${pair}: "${reserved}" is reserved by JavaScript and cannot be a variable name`);
  let value: unknown = parseScalar(pair.slice(equals + 1));
  for (const key of keys.reverse()) value = { [key]: value };
  return value as Record<string, unknown>;
}

function readVarsFile(file: string): Record<string, unknown> {
  if (!file) throw new UsageError('-e @: name a file after the @, for example -e @vars.yaml');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`-e @${file}: cannot read the file: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  return parseMapping(file, text);
}

/** A YAML (so also JSON) mapping; errors name the file (or the argument) and the line and column. */
function parseMapping(label: string, text: string): Record<string, unknown> {
  const source = parseYamlSource(label, text);
  if (text.trim() === '') return {};
  if (!isPlainObject(source.data)) {
    const { line, col } = source.positionOf([]);
    throw new UsageError(`${label}:${line}:${col}: extra vars must be a mapping of names to values, found ${Array.isArray(source.data) ? 'a list' : 'a single value'}`);
  }
  rejectReservedKeys(source, source.data, []);
  return source.data;
}

/** `__proto__` and friends would reach Object.prototype through a merge: refused at their position. */
function rejectReservedKeys(source: YamlSource, value: unknown, path: Path): void {
  if (Array.isArray(value)) value.forEach((item, index) => rejectReservedKeys(source, item, [...path, index]));
  if (!isPlainObject(value)) return;
  for (const key of Object.keys(value)) {
    if (isReservedKey(key)) {
      const { line, col } = source.positionOf(path, key);
      throw new UsageError(`${source.file}:${line}:${col}: "${key}" is reserved by JavaScript and cannot be a variable name`);
    }
    rejectReservedKeys(source, value[key], [...path, key]);
  }
}

function mergeDeep(target: Record<string, unknown>, incoming: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(incoming)) {
    if (isPlainObject(value) && Object.hasOwn(target, key) && isPlainObject(target[key])) mergeDeep(target[key] as Record<string, unknown>, value);
    else target[key] = value;
  }
}

/** Numbers and booleans are typed; text stays as typed (YAML would cut `a # b` at the comment). */
function parseScalar(text: string): unknown {
  try {
    const value: unknown = parse(text);
    if (typeof value === 'string' && !/^\s*["']/.test(text)) return text;
    return value === null || typeof value === 'object' ? text : value;
  } catch {
    return text;
  }
}
