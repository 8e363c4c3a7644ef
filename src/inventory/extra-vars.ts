import { parse } from 'yaml';
import { UsageError } from '../errors.ts';
import { isReservedKey } from './merge.ts';

/** Parses `-e key=value` pairs; dotted keys nest (`node_exporter.port=9200`), values are YAML scalars. */
export function parseExtraVars(pairs: readonly string[]): Record<string, unknown> {
  const vars: Record<string, unknown> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new UsageError(`-e ${pair}: expected key=value, for example -e node_exporter.port=9200`);
    const keys = pair.slice(0, equals).split('.');
    if (keys.some((key) => !/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key))) {
      throw new UsageError(`-e ${pair}: "${pair.slice(0, equals)}" is not a variable name (letters, digits, _ and -, dots to nest)`);
    }
    const reserved = keys.find(isReservedKey);
    if (reserved) throw new UsageError(`-e ${pair}: "${reserved}" is reserved by JavaScript and cannot be a variable name`);
    let target = vars;
    for (const key of keys.slice(0, -1)) {
      if (!Object.hasOwn(target, key) || typeof target[key] !== 'object' || target[key] === null) target[key] = {};
      target = target[key] as Record<string, unknown>;
    }
    target[keys[keys.length - 1]!] = parseScalar(pair.slice(equals + 1));
  }
  return vars;
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
