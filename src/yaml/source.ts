import { readFile } from 'node:fs/promises';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import { UsageError } from '../errors.ts';
import { formatPath } from './zod-issues.ts';

export type Path = readonly (string | number)[];

export interface Position {
  line: number;
  col: number;
  /** The file, when it is not the source's own (an inventory's included files). */
  file?: string;
}

/** A parsed YAML file that can still say where each value came from. */
export interface YamlSource {
  file: string;
  data: unknown;
  /** Where the value at `path` starts; with `key`, where its key starts (for unknown keys). */
  positionOf(path: Path, key?: string): Position;
}

export async function readYamlSource(file: string): Promise<YamlSource> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`${file}: cannot read the file: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  return parseYamlSource(file, text);
}

export function parseYamlSource(file: string, text: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const { line, col } = lineCounter.linePos(first.pos[0]);
    throw new UsageError(`${file}:${line}:${col}: invalid YAML: ${first.message.split('\n')[0]}`);
  }
  const positionAt = (offset: number | undefined): Position =>
    offset === undefined ? { line: 1, col: 1 } : lineCounter.linePos(offset);
  // Converting `__proto__:` to JavaScript sets an object's prototype (or throws for a nested one):
  // refuse it here, where its position is still known.
  let proto: { at?: number; path: string } | undefined;
  visit(doc, {
    Pair: (_key, pair, ancestors) => {
      if (!isScalar(pair.key) || String(pair.key.value) !== '__proto__') return undefined;
      const keys = ancestors.filter(isPair).map((outer) => (isScalar(outer.key) ? String(outer.key.value) : '?'));
      proto = { at: pair.key.range?.[0], path: formatPath([...keys, '__proto__']) };
      return visit.BREAK;
    },
  });
  if (proto) {
    const { line, col } = positionAt(proto.at);
    throw new UsageError(`${file}:${line}:${col}: ${proto.path}: "__proto__" is reserved by JavaScript and cannot be a variable name`);
  }
  let data: unknown;
  try {
    data = doc.toJS() ?? {};
  } catch (error) {
    // An alias without its anchor, or aliases that expand beyond reason: point at the first alias.
    let aliasAt: number | undefined;
    visit(doc, { Alias: (_key, node) => ((aliasAt = node.range?.[0]), visit.BREAK) });
    const { line, col } = positionAt(aliasAt);
    throw new UsageError(`${file}:${line}:${col}: invalid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  return {
    file,
    data,
    positionOf(path, key) {
      return positionAt(offsetOf(doc, path, key));
    },
  };
}

/** Walks down as far as the path exists and returns the deepest offset found. */
function offsetOf(doc: Document, path: Path, key?: string): number | undefined {
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0];
  for (const segment of key === undefined ? path : [...path, key]) {
    const isLast = segment === key;
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) return offset;
      const keyNode = pair.key as Node;
      const valueNode = pair.value as Node | null;
      offset = isLast || !valueNode?.range ? keyNode.range?.[0] : valueNode.range[0];
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (!item) return offset;
      offset = item.range?.[0];
      node = item;
    } else {
      return offset;
    }
  }
  return offset;
}
