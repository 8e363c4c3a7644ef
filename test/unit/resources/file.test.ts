import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parsePathState } from '../../../src/facts/path-state.ts';
import { fileResource } from '../../../src/resources/file.ts';
import { factsFrom } from '../../helpers/facts.ts';

const spec = { path: '/etc/x.conf', content: 'a=1\n', mode: '0644', owner: 'root', group: 'root' };
const sha = createHash('sha256').update(spec.content).digest('hex');
const planWith = (fact: string, extra: Partial<typeof spec> & { sensitive?: boolean } = {}) =>
  fileResource({ ...spec, ...extra }).plan(factsFrom({ [`path:${spec.path}`]: fact }));

describe('file resource plan', () => {
  it('creates a missing file and carries the new content for --diff', () => {
    expect(planWith('absent\n')).toEqual({ resource: 'file /etc/x.conf', action: 'create', reason: 'new file, mode 0644, root:root', diff: { before: '', after: 'a=1\n' } });
  });

  it('says why nothing changes when content, mode and owner match', () => {
    expect(planWith(`regular file|644|root|root|${sha}\n`)).toMatchObject({ action: 'same', reason: 'content, mode and owner match' });
  });

  it('names each difference', () => {
    expect(planWith(`regular file|600|root|adm|${'0'.repeat(64)}\n`)).toMatchObject({
      action: 'update',
      reason: 'content differs, mode 0600 -> 0644, owner root:adm -> root:root',
    });
  });

  it('never puts sensitive content into a diff, and still says the file changes', () => {
    const created = planWith('absent\n', { content: 'password: hunter2\n', sensitive: true });
    expect(created).toEqual({ resource: 'file /etc/x.conf', action: 'create', reason: 'new file, mode 0644, root:root', diff: { before: '', after: '(sensitive content hidden)\n' } });
    const updated = planWith(`regular file|644|root|root|${sha}\n`, { content: 'password: hunter2\n', sensitive: true });
    expect(updated).toMatchObject({ action: 'update', reason: 'content differs', diff: { after: '(sensitive content hidden)\n' } });
    expect(JSON.stringify([created, updated])).not.toContain('hunter2');
  });
});

describe('parsePathState', () => {
  it('reads stat output for files, empty files, directories and absent paths', () => {
    expect(parsePathState(`regular empty file|600|a|b|${sha}`)).toMatchObject({ type: 'file', mode: '0600', owner: 'a', group: 'b', sha256: sha });
    expect(parsePathState('directory|2775|root|adm|')).toMatchObject({ type: 'directory', mode: '2775', sha256: undefined });
    expect(parsePathState('absent')).toEqual({ exists: false });
  });
});

describe('a file holding a freshly salted password hash', () => {
  it('is "same" while the host’s hash still matches the password, and asks for the host’s text to know it', async () => {
    const { freshBcrypt } = await import('../../../src/templates/helpers.ts');
    const bcrypt = (await import('bcryptjs')).default;
    const onHost = `users:\n  "p": "${bcrypt.hashSync('pw', 4)}"\n`;
    const file = fileResource({ ...spec, content: `users:\n  "p": "${freshBcrypt('pw')}"\n`, sensitive: true });
    expect(file.facts().map((fact) => fact.key)).toEqual([`path:${spec.path}`, `content:${spec.path}`]);
    const digest = createHash('sha256').update(onHost).digest('hex');
    const facts = factsFrom({ [`path:${spec.path}`]: `regular file|644|root|root|${digest}\n`, [`content:${spec.path}`]: onHost });
    expect(await file.plan(facts)).toMatchObject({ action: 'same' });
    const changed = fileResource({ ...spec, content: `users:\n  "p": "${freshBcrypt('other')}"\n`, sensitive: true });
    expect(await changed.plan(facts)).toMatchObject({ action: 'update', reason: 'content differs' });
  });
});
