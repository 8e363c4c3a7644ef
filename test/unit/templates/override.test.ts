import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readTemplate } from '../../../src/templates/find.ts';
import { PACKAGE_ROOT } from '../../../src/package-root.ts';
import { writeTempFiles } from '../../helpers/temp-files.ts';

describe('template lookup', () => {
  it('a file of the same name in templates/ next to the inventory overrides fleet\'s own', async () => {
    const dir = writeTempFiles({});
    mkdirSync(join(dir, 'templates'));
    writeFileSync(join(dir, 'templates', 'config.alloy.hbs'), '// mine\n');
    expect(await readTemplate('config.alloy.hbs', dir)).toEqual({ path: join(dir, 'templates', 'config.alloy.hbs'), source: '// mine\n' });
    expect((await readTemplate('alloy.env.hbs', dir)).path).toBe(join(PACKAGE_ROOT, 'templates', 'alloy.env.hbs'));
  });
});
