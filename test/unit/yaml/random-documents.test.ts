import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { UsageError } from '../../../src/errors.ts';
import { loadInventory } from '../../../src/inventory/load.ts';
import { loadPlaybook } from '../../../src/playbook/load.ts';
import { writeTempFiles } from '../../helpers/temp-files.ts';

const dir = writeTempFiles({});
const file = join(dir, 'random.yaml');

/** Loads the text with the loader; a rejection must be a UsageError whose every line is positioned. */
async function loadsOrRefusesWithPosition(loader: (file: string) => Promise<unknown>, text: string): Promise<void> {
  writeFileSync(file, text);
  try {
    await loader(file);
  } catch (error) {
    if (!(error instanceof UsageError)) throw new Error(`not a UsageError (${(error as Error).name}: ${(error as Error).message}) for:\n${text}`);
    for (const line of error.message.split('\n')) {
      if (!line.startsWith(`${file}:`) || !/^:\d+:\d+: \S/.test(line.slice(file.length))) throw new Error(`unpositioned error line "${line}" for:\n${text}`);
    }
  }
  expect(Object.prototype).not.toHaveProperty('polluted');
}

// Pieces of YAML that reach the parser's and the schemas' corners: anchors, merges, tags, flow, block scalars.
const token = fc.constantFrom(
  'hosts:', 'groups:', 'defaults:', 'vars:', 'labels:', 'ssh:', 'tasks:', 'import:', 'children:', 'prometheus:', 'servers:',
  'web1:', 'address:', 'port:', 'file:', 'directory:', 'user:', 'firewall:', 'path:', 'name:', 'sources:', 'when:', 'notify:',
  ' ', '  ', '    ', '\n', '\n  ', '\n    ', '- ', ': ', ', ', '{', '}', '[', ']', '"', "'", '#', '|', '>', '? ', '---\n', '...\n',
  '&a ', '*a', '<<: *a', '!!str ', '!!int ', '!!binary ', '~', 'null', 'true', '0644', '10.0.0.1', '/etc/x', '{{vars.x}}', '-o',
  '__proto__: ', 'constructor: ', 'job: ', '__address__: ', 'Zürich', '\t', '\u0000', '9999999999999999999999', '.inf', '-1',
);
const tokenSoup = fc.array(token, { maxLength: 40 }).map((tokens) => tokens.join(''));
const leaf = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.double(), fc.constantFrom('/etc/x', '10.0.0.1', '{{vars.x}}', '0644', 'root'));
const keys = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('hosts', 'groups', 'vars', 'labels', 'ssh', 'address', 'tasks', 'file', 'path', 'content', 'user', 'name', 'firewall', 'port', 'sources', '__proto__', 'job'));
const tree = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(keys, tie('node'), { maxKeys: 5 })),
})).node;
const structured = tree.map((value) => stringify(value));
const inventoryShaped = fc
  .record({ hosts: fc.dictionary(keys, fc.oneof(fc.constant(null), fc.record({ address: leaf, vars: tree, labels: fc.dictionary(keys, leaf) }, { requiredKeys: [] }))) }, { requiredKeys: [] })
  .map((value) => stringify(value));
const playbookShaped = fc
  .record({ tasks: fc.array(fc.dictionary(fc.constantFrom('file', 'directory', 'user', 'firewall', 'service', 'template', 'when', 'notify', 'tags', 'name'), tree, { maxKeys: 3 }), { maxLength: 4 }) }, { requiredKeys: [] })
  .map((value) => stringify(value));
const documents = fc.oneof(fc.string(), tokenSoup, structured, inventoryShaped, playbookShaped);

describe('random documents to the loaders', () => {
  it('a __proto__ key anywhere is refused at its position (fast-check found `__proto__: {__proto__: {}}` crashing the loader)', async () => {
    for (const loader of [loadInventory, loadPlaybook]) {
      writeFileSync(file, 'x:\n  __proto__:\n    __proto__: {}\n');
      await expect(loader(file)).rejects.toThrow(`${file}:2:3: x.__proto__: "__proto__" is reserved by JavaScript and cannot be a variable name`);
    }
  });

  it('the inventory loader never crashes: it loads, or refuses with file:line:col on every line', async () => {
    await fc.assert(fc.asyncProperty(documents, (text) => loadsOrRefusesWithPosition(loadInventory, text)), { numRuns: 400 });
  });

  it('the playbook loader never crashes: it loads, or refuses with file:line:col on every line', async () => {
    await fc.assert(fc.asyncProperty(documents, (text) => loadsOrRefusesWithPosition(loadPlaybook, text)), { numRuns: 400 });
  });
});

describe('a __proto__ key under an odd key (fast-check found the path starting with a blank)', () => {
  it('names the path with that key quoted', async () => {
    writeFileSync(file, '" ":\n  hosts:\n    __proto__: /etc/x\n');
    await expect(loadInventory(file)).rejects.toThrow(`${file}:3:5: " ".hosts.__proto__: "__proto__" is reserved by JavaScript`);
  });
});
