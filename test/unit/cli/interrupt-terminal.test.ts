import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const FLEET = fileURLToPath(new URL('../../../bin/fleet.js', import.meta.url));
const hasTmux = (() => {
  try {
    execFileSync('tmux', ['-V']);
    return true;
  } catch {
    return false;
  }
})();

async function until(what: string, probe: () => Promise<boolean>, deadlineMs: number): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// Ctrl-C typed in a real terminal (tmux) while the spinner runs: the terminal's own SIGINT must reach fleet.
describe.skipIf(!hasTmux)('Ctrl-C in a terminal during fleet apply', () => {
  const sockets: Socket[] = [];
  let server: Server | undefined;
  const session = `fleet-test-${process.pid}`;
  afterAll(() => {
    for (const socket of sockets) socket.destroy();
    server?.close();
    try {
      execFileSync('tmux', ['kill-session', '-t', session]);
    } catch {
      // already gone
    }
  });

  it('starts no further host, prints the recap and exits 130', { timeout: 60_000 }, async () => {
    // A loopback listener that accepts and never speaks SSH: each host waits out its connect timeout.
    server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const dir = await mkdtemp(join(tmpdir(), 'fleet-tty-'));
    await writeFile(
      join(dir, 'inventory.yaml'),
      `defaults:\n  ssh: { user: root, connect_timeout: 6, host_key_checking: "off" }\nhosts:\n  silent1: { address: 127.0.0.1, ssh: { port: ${port} } }\n  silent2: { address: 127.0.0.1, ssh: { port: ${port} } }\n`,
    );
    const out = join(dir, 'out.txt');
    // An operator's terminal, not CI: ora draws no spinner where CI is set (CI=true in .ci/run).
    const command = `env -u CI ${process.execPath} ${FLEET} apply ${join(dir, 'inventory.yaml')} --forks 1 --no-register > ${out}; echo "exit=$?" >> ${out}; sleep 30`;
    execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '160', '-y', '40', command]);
    const pane = () => execFileSync('tmux', ['capture-pane', '-p', '-t', session], { encoding: 'utf8' });
    await until('the spinner', async () => pane().includes('silent1 (connect)'), 30_000);
    execFileSync('tmux', ['send-keys', '-t', session, 'C-c']);
    await until('fleet to exit', async () => (await readFile(out, 'utf8').catch(() => '')).includes('exit='), 30_000);

    const stdout = await readFile(out, 'utf8');
    expect(pane()).toContain('fleet: SIGINT: starting nothing new; the steps in flight finish, then the recap');
    expect(stdout).toMatch(/silent1\s+UNREACHABLE/);
    expect(stdout).toMatch(/silent2\s+NOT ATTEMPTED\s+ok=0\s+changed=0\s+0\.0s\s+not attempted: the run was interrupted \(SIGINT\)/);
    expect(stdout).toContain('exit=130');
  });
});
