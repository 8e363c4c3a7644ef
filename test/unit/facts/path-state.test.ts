import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readInOneRoundTrip } from '../../../src/facts/gather.ts';
import { parsePathState, pathStateCommand, pathStateFact } from '../../../src/facts/path-state.ts';

const sh = async (script: string) => (await promisify(execFile)('sh', ['-c', script])).stdout;

// The commands are plain POSIX shell with GNU coreutils: run them here on temporary files.
describe('the state of many paths from one stat', () => {
  it('answers each path exactly as its own command would, whatever the path is', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleet-paths-'));
    const paths = {
      file: join(dir, 'config.yml'),
      // To a multiline regular expression, U+2028 starts a line: this name must not end the stat section.
      forged: join(dir, 'forged\u2028-- directories'),
      empty: join(dir, 'empty'),
      directory: join(dir, 'folder'),
      linkToFile: join(dir, 'link-to-file'),
      linkToDirectory: join(dir, 'link-to-folder'),
      dangling: join(dir, 'dangling'),
      missing: join(dir, 'missing'),
      hostile: join(dir, `it's a "$(touch fleet-pwned)" | -- hashes`),
      backslash: join(dir, 'back\\slash'),
      // coreutils 9.1 escapes a carriage return in a name too (as \r), and marks the line.
      carriageReturn: join(dir, 'cr\rname'),
      // A line separator: no line ending to the shell, but one to a regular expression's dot.
      lineSeparator: join(dir, 'ls\u2028name'),
      dash: join(dir, '-n'),
      inFolder: join(dir, 'folder', 'inner'),
    };
    await writeFile(paths.file, 'a: 1\n', { mode: 0o640 });
    await writeFile(paths.empty, '');
    await writeFile(paths.forged, 'f\n');
    await mkdir(paths.directory, { mode: 0o750 });
    await writeFile(paths.inFolder, 'x');
    await symlink(paths.file, paths.linkToFile);
    await symlink(paths.directory, paths.linkToDirectory);
    await symlink(join(dir, 'nowhere'), paths.dangling);
    await writeFile(paths.hostile, 'hostile\n');
    await writeFile(paths.backslash, 'b\n');
    await writeFile(paths.carriageReturn, 'cr\n');
    await writeFile(paths.lineSeparator, 'ls\n');
    await writeFile(paths.dash, 'dash\n');

    const all = Object.values(paths);
    const facts = await readInOneRoundTrip(all.map((path) => pathStateFact(path, path)), sh);
    for (const path of all) expect(facts.get(path), path).toBe(await sh(pathStateCommand(path)));
    expect(parsePathState(facts.get(paths.file)!)).toMatchObject({ exists: true, type: 'file', mode: '0640', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(parsePathState(facts.get(paths.linkToDirectory)!)).toMatchObject({ type: 'other', isDirectory: true });
    expect(parsePathState(facts.get(paths.directory)!)).toMatchObject({ type: 'directory', isDirectory: true });
    expect(parsePathState(facts.get(paths.missing)!)).toEqual({ exists: false });
    expect(parsePathState(facts.get(paths.backslash)!).sha256).toBe(parsePathState(await sh(pathStateCommand(paths.backslash))).sha256);
    expect(parsePathState(facts.get(paths.carriageReturn)!).sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(parsePathState(facts.get(paths.lineSeparator)!).sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await sh('[ -e fleet-pwned ] && echo yes || echo no')).toBe('no\n');
  });

  it('leaves a name with a newline to a command of its own', () => {
    expect(pathStateFact('k', '/tmp/a\nb')).toEqual({ key: 'k', command: pathStateCommand('/tmp/a\nb') });
    expect(pathStateFact('k', '/tmp/ab')).toMatchObject({ key: 'k', arg: '/tmp/ab' });
  });
});
