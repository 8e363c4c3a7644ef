import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runFleet } from '../../helpers/run-fleet.ts';
import { writeTempFiles } from '../../helpers/temp-files.ts';

const FLEET = fileURLToPath(new URL('../../../bin/fleet.js', import.meta.url));
const INVENTORY = 'hosts:\n  db1: { address: 10.0.0.9 }\ngroups:\n  web:\n    hosts:\n      web1: { address: 10.0.0.1 }\n      web2: { address: 10.0.0.2 }\n  workers:\n    hosts:\n      batch1: { address: 10.0.0.5 }\n';
const has = (shell: string) => spawnSync(shell, ['--version'], { stdio: 'ignore' }).status === 0;

function inventoryDir(): string {
  const dir = writeTempFiles({ 'inv.yaml': INVENTORY });
  mkdirSync(join(dir, 'playbooks'));
  writeFileSync(join(dir, 'playbooks', 'hardening.yaml'), 'tasks: []\n');
  return dir;
}

/** The candidates the hidden command gives for `fleet WORDS…` with the cursor on the last word. */
async function complete(dir: string, ...words: string[]): Promise<string[]> {
  const run = await runFleet(['__complete', '--', String(words.length - 1), ...words], {}, { cwd: dir });
  expect(run.code, run.stderr).toBe(0);
  return run.stdout.split('\n').filter(Boolean);
}

/** Runs bash's completion function as <TAB> would, with COMP_WORDS set, and returns COMPREPLY. */
function bashComplete(script: string, dir: string, words: string[]): string[] {
  const program = [
    `fleet() { ${JSON.stringify(process.execPath)} ${JSON.stringify(FLEET)} "$@"; }`,
    script,
    `COMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')}); COMP_CWORD=${words.length - 1}`,
    '_fleet_complete',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  return execFileSync('bash', ['-c', program], { cwd: dir, encoding: 'utf8' }).split('\n').filter(Boolean);
}

describe('fleet completion', () => {
  it('prints a bash script that bash accepts and that registers the completion of fleet', async () => {
    const { stdout, code } = await runFleet(['completion', 'bash']);
    expect(code).toBe(0);
    expect(spawnSync('bash', ['-n'], { input: stdout }).status).toBe(0);
    const registered = execFileSync('bash', ['-c', `${stdout}\ncomplete -p fleet`], { encoding: 'utf8' });
    expect(registered).toContain('-F _fleet_complete');
    expect(registered.trim().endsWith(' fleet')).toBe(true);
  });

  it('completes host names after --limit from the inventory, through bash itself', async () => {
    const dir = inventoryDir();
    const script = (await runFleet(['completion', 'bash'])).stdout;
    expect(bashComplete(script, dir, ['fleet', 'apply', 'inv.yaml', '--limit', 'w'])).toEqual(['web1', 'web2', 'web', 'workers']);
    expect(bashComplete(script, dir, ['fleet', 'ap'])).toEqual(['apply']);
  });

  it('completes commands, options from the command definitions, playbooks, hosts and patterns', async () => {
    const dir = inventoryDir();
    // Each case is one `fleet __complete` run: asked side by side, as independent shells would.
    const cases: [string[], string[] | ReturnType<typeof expect.arrayContaining>][] = [
      [['ch'], ['check']],
      [['completion', ''], ['bash', 'zsh', 'fish']],
      [['apply', 'inv.yaml', '--li'], ['--limit']],
      [['apply', 'inv.yaml', '--'], expect.arrayContaining(['--check', '--diff', '--tags', '--forks', '--extra-vars', '--retry-file', '--no-register', '--help'])],
      [['check', 'inv.yaml', '--metrics-file', ''], []], // the shell completes file names
      [['apply', 'inv.yaml', ''], expect.arrayContaining(['hardening', 'site', 'node-exporter', 'alloy'])],
      [['apply', 'inv.yaml', '-f', '5', 'site', 'h'], ['hardening']],
      [['ping', 'inv.yaml', '-l', 'web1,!w'], ['web1,!web1', 'web1,!web2', 'web1,!web', 'web1,!workers']],
      [['remove', 'inv.yaml', 'b'], ['batch1']],
      [['ping', ''], []], // the inventory: a file name
      [['__'], []], // the hidden command stays hidden
    ];
    const answers = await Promise.all(cases.map(([words]) => complete(dir, ...words)));
    cases.forEach(([words, expected], index) => expect(answers[index], `fleet ${words.join(' ')}<TAB>`).toEqual(expected));
  });

  it.skipIf(!has('zsh'))('prints a zsh script that zsh parses', async () => {
    const { stdout } = await runFleet(['completion', 'zsh']);
    expect(spawnSync('zsh', ['-n'], { input: stdout }).status).toBe(0);
  });

  it.skipIf(!has('fish'))('prints a fish script that fish parses', async () => {
    const { stdout } = await runFleet(['completion', 'fish']);
    const file = join(writeTempFiles({ 'fleet.fish': stdout }), 'fleet.fish');
    const check = spawnSync('fish', ['--no-execute', file], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });
});

describe('fleet completion with fleet.yaml', () => {
  it('completes hosts from the inventory fleet.yaml names when the command line names none', async () => {
    const dir = inventoryDir();
    writeFileSync(join(dir, 'fleet.yaml'), 'inventory: inv.yaml\n');
    expect(await complete(dir, 'ping', '--limit', 'web')).toEqual(['web1', 'web2', 'web']);
    expect(await complete(dir, 'apply', 'h')).toEqual(['hardening']);
  });
});
