import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { LAB_ACCOUNTS } from '../../src/lab/layout.ts';
import { requireTool } from '../helpers/required-tool.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { labUnavailable, useLabHosts, writeLabInventory } from './lab-hosts.ts';

const exec = promisify(execFile);
const FLEET = fileURLToPath(new URL('../../bin/fleet.js', import.meta.url));
// A tmux server of this test's own (its own socket), ended by its own kill-server at the end.
const SOCKET = `fleet-prompt-test-${process.pid}`;
const tmux = (...args: string[]) => exec('tmux', ['-L', SOCKET, ...args]).then((result) => result.stdout);
const screen = () => tmux('capture-pane', '-p', '-J', '-S', '-', '-t', 'prompt');

describe.skipIf(labUnavailable)('the sudo password prompt in a real terminal (tmux)', () => {
  const hosts = useLabHosts([{ name: 'prompt', index: 127 }]);
  afterAll(async () => {
    await tmux('kill-server').catch(() => {});
  });

  it('asks once, never echoes what is typed, and the password works for sudo', async (context) => {
    await requireTool(context, 'tmux', 'apt-get install tmux; scripts/setup.sh does');
    const { file } = await writeLabInventory([]);
    await writeFile(file, (await readFile(file, 'utf8')) + `hosts:\n  asks:\n    address: ${hosts[0]!.address}\n    ssh: { user: ${LAB_ACCOUNTS.sudoPasswordUser} }\n    become: { password_prompt: true }\n`);
    const command = `NO_COLOR=1 ${process.execPath} ${FLEET} ping ${file}; echo "fleet exited $?"`;
    await tmux('new-session', '-d', '-s', 'prompt', '-x', '200', '-y', '50', 'sh', '-c', command);
    await tmux('set-option', '-t', 'prompt', 'remain-on-exit', 'on');
    await waitFor('the password prompt', async () => (await screen()).includes('sudo password: '), 60_000, 100);

    // Typed the way a person types: a slip corrected with backspace, then Enter.
    await tmux('send-keys', '-t', 'prompt', '-l', `${LAB_ACCOUNTS.sudoPassword}x`);
    await tmux('send-keys', '-t', 'prompt', 'BSpace', 'Enter');
    await waitFor('fleet to finish', async () => /fleet exited \d+/.test(await screen()), 60_000, 100);
    const output = await screen();
    expect(output).toContain('fleet exited 0');
    expect(output).toMatch(/asks\s+ok\s+deploypw, become sudo/);
    expect(output.match(/sudo password: /g)).toHaveLength(1);
    // Never echoed: not the password, not a piece of it, not a mask character per key.
    expect(output).not.toContain(LAB_ACCOUNTS.sudoPassword.slice(0, 6));
    expect(output).toMatch(/sudo password: \n/);
  });

  it('asks once per become method: the sudo user\'s password, then root\'s for su', async (context) => {
    await requireTool(context, 'tmux', 'apt-get install tmux; scripts/setup.sh does');
    // The first test's session (on this file's own tmux server) has done its work.
    await tmux('kill-session', '-t', 'prompt').catch(() => {});
    const { file } = await writeLabInventory([]);
    const address = hosts[0]!.address;
    await writeFile(file, (await readFile(file, 'utf8')) + `hosts:\n  asks-sudo:\n    address: ${address}\n    ssh: { user: ${LAB_ACCOUNTS.sudoPasswordUser} }\n    become: { password_prompt: true }\n  asks-su:\n    address: ${address}\n    ssh: { user: ${LAB_ACCOUNTS.suUser} }\n    become: { method: su, password_prompt: true }\n`);
    const command = `NO_COLOR=1 ${process.execPath} ${FLEET} ping ${file}; echo "fleet exited $?"`;
    await tmux('new-session', '-d', '-s', 'prompt', '-x', '200', '-y', '50', 'sh', '-c', command);
    await tmux('set-option', '-t', 'prompt', 'remain-on-exit', 'on');
    await waitFor('the sudo prompt', async () => (await screen()).includes('sudo password: '), 60_000, 100);
    await tmux('send-keys', '-t', 'prompt', '-l', LAB_ACCOUNTS.sudoPassword);
    await tmux('send-keys', '-t', 'prompt', 'Enter');
    await waitFor('the su prompt', async () => (await screen()).includes("root's password (for su): "), 60_000, 100);
    await tmux('send-keys', '-t', 'prompt', '-l', LAB_ACCOUNTS.rootPassword);
    await tmux('send-keys', '-t', 'prompt', 'Enter');
    await waitFor('fleet to finish', async () => /fleet exited \d+/.test(await screen()), 60_000, 100);
    const output = await screen();
    expect(output).toContain('fleet exited 0');
    expect(output).toMatch(/asks-sudo\s+ok\s+deploypw, become sudo/);
    expect(output).toMatch(/asks-su\s+ok\s+deploysu, become su/);
    expect(output).not.toContain(LAB_ACCOUNTS.rootPassword);
    expect(output).not.toContain(LAB_ACCOUNTS.sudoPassword);
  });
});
