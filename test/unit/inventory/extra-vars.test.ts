import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseExtraVars } from '../../../src/inventory/extra-vars.ts';
import { writeTempFiles } from '../../helpers/temp-files.ts';

describe('parseExtraVars', () => {
  it('reads @file (YAML or JSON) and inline mappings, merged in order with key=value pairs', () => {
    const dir = writeTempFiles({
      'vars.yaml': 'node_exporter:\n  port: 9200\n  version: "1.8.2"\nsite: lab\n',
      'more.json': '{"node_exporter": {"port": 9300}, "debug": true}',
    });
    const vars = parseExtraVars([`@${join(dir, 'vars.yaml')}`, 'site=prod', `@${join(dir, 'more.json')}`, '{"alloy": {"port": 12345}}', '{site: staging}']);
    expect(vars).toEqual({ node_exporter: { port: 9300, version: '1.8.2' }, site: 'staging', debug: true, alloy: { port: 12345 } });
  });

  it('lets a later key=value override one key of an earlier file, keeping its siblings', () => {
    const dir = writeTempFiles({ 'vars.yaml': 'node_exporter:\n  port: 9200\n  version: "1.8.2"\n' });
    expect(parseExtraVars([`@${join(dir, 'vars.yaml')}`, 'node_exporter.port=9999'])).toEqual({ node_exporter: { port: 9999, version: '1.8.2' } });
  });

  it('names the file, line and column of invalid YAML', () => {
    const file = join(writeTempFiles({ 'bad.yaml': 'a: 1\nb: [unclosed\n' }), 'bad.yaml');
    expect(() => parseExtraVars([`@${file}`])).toThrow(new RegExp(`^${file}:\\d+:\\d+: invalid YAML`));
  });

  it('says a missing file cannot be read', () => {
    expect(() => parseExtraVars(['@/nonexistent/vars.yaml'])).toThrow('-e @/nonexistent/vars.yaml: cannot read the file: ENOENT');
  });

  it('rejects a file or inline value that is not a mapping', () => {
    const file = join(writeTempFiles({ 'list.yaml': '- a\n- b\n' }), 'list.yaml');
    expect(() => parseExtraVars([`@${file}`])).toThrow(`${file}:1:1: extra vars must be a mapping of names to values, found a list`);
    expect(() => parseExtraVars(['[1, 2]'])).toThrow('found a list');
  });

  it('refuses __proto__, constructor and prototype keys at any depth, with their position', () => {
    const file = join(writeTempFiles({ 'evil.yaml': 'ok: 1\nnested:\n  __proto__:\n    polluted: true\n' }), 'evil.yaml');
    expect(() => parseExtraVars([`@${file}`])).toThrow(`${file}:3:3: nested.__proto__: "__proto__" is reserved by JavaScript and cannot be a variable name`);
    expect(() => parseExtraVars(['{"constructor": {"prototype": {"x": 1}}}'])).toThrow('"constructor" is reserved by JavaScript');
    expect(() => parseExtraVars(['a.__proto__.polluted=1'])).toThrow('is reserved by JavaScript');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('still nests dotted keys and rejects a bare word', () => {
    expect(parseExtraVars(['a.b=3', 'a.c=x'])).toEqual({ a: { b: 3, c: 'x' } });
    expect(() => parseExtraVars(['oops'])).toThrow('-e oops: expected key=value');
  });
});
