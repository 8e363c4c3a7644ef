import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LAB_ACCOUNTS } from '../../src/lab/layout.ts';
import { runFleet } from '../helpers/run-fleet.ts';
import { labUnavailable, useLabHosts, writeLabInventory } from './lab-hosts.ts';

const BASIC_PASSWORD = 'basic-auth-s3cret';
// sudo with a password, and a check that sends a basic-auth password (to a port where nothing answers).
const HOST_SETTINGS = `        ssh: { user: ${LAB_ACCOUNTS.sudoPasswordUser} }\n        become: { password_env: FLEET_SUDO_PASSWORD }\n`;
const PLAYBOOK = `tasks:
  - file: { path: /etc/fleet-verbose.txt, content: "verbose\\n", mode: "0644" }
  - http_check: { url: "http://127.0.0.1:9/", timeout: 1, basic_auth: { user: scraper, password_env: FLEET_BASIC_PASSWORD } }
`;
const ENV = { FLEET_SUDO_PASSWORD: LAB_ACCOUNTS.sudoPassword, FLEET_BASIC_PASSWORD: BASIC_PASSWORD };

describe.skipIf(labUnavailable)('-v, -vv, -vvv and --log against a lab host', () => {
  const hosts = useLabHosts([{ name: 'verbose-a', index: 147 }]);

  it('shows commands at -vv and output at -vvv, logs the run as JSON lines, and never shows the secrets', async () => {
    const { dir, file } = await writeLabInventory(hosts, HOST_SETTINGS);
    await writeFile(join(dir, 'verbose.yaml'), PLAYBOOK);
    const log = join(dir, 'logs', 'run.jsonl');

    const run = await runFleet(['apply', file, join(dir, 'verbose.yaml'), '-vvv', '--log', log], ENV);
    expect(run.code, run.stderr).toBe(2); // the basic-auth check finds nothing listening
    expect(run.stderr).toMatch(/^\[verbose-a\] \S.* \d+\.\d\ds exit 0$/m);
    expect(run.stderr).toMatch(/^ {4}\(sudo\) \$ /m); // -vv: the commands, sudo ones marked
    expect(run.stderr).toContain('stdout| '); // -vvv: their output
    expect(run.stderr).toContain('upload /');

    const text = await readFile(log, 'utf8');
    const entries = text.trim().split('\n').map((line) => JSON.parse(line) as { type: string; host?: string; durationMs?: number; command?: string; status?: string; exitCode?: number });
    expect(entries[0]).toMatchObject({ type: 'run', command: 'apply' });
    const commands = entries.filter((entry) => entry.type === 'command');
    expect(commands.length).toBeGreaterThan(3);
    expect(commands.every((entry) => entry.host === 'verbose-a' && typeof entry.durationMs === 'number' && entry.command)).toBe(true);
    expect(entries).toContainEqual(expect.objectContaining({ type: 'host-done', host: 'verbose-a', status: 'failed' }));
    expect(entries.at(-1)).toMatchObject({ type: 'end', exitCode: 2 });

    for (const output of [run.stdout, run.stderr, text]) {
      expect(output).not.toContain(LAB_ACCOUNTS.sudoPassword);
      expect(output).not.toContain(BASIC_PASSWORD);
    }
  });

  it('-v shows each command\'s name and duration but not the command', async () => {
    const { file } = await writeLabInventory(hosts, HOST_SETTINGS);
    const run = await runFleet(['ping', file, '-v'], ENV);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^\[verbose-a\] probe \d+\.\d\ds exit 0$/m);
    expect(run.stderr).toMatch(/^\[verbose-a\] sudo \d+\.\d\ds exit 0$/m);
    expect(run.stderr).not.toContain('$ ');
  });
});
