import type { Command } from 'commander';
import { shellQuote } from '../../connection/quote.ts';
import type { BecomeMethod } from '../../inventory/schema.ts';
import { becomeOpenOptions, collectBecomePasswords } from '../become-passwords.ts';
import { addHostOptions, type CommonOptions } from '../common-options.ts';
import { color } from '../colors.ts';
import { exitCodeFor } from '../exit-codes.ts';
import { createProgress, formatSeconds, paintStatus } from '../reporter.ts';
import { formatTable } from '../table.ts';

interface PingResult {
  user: string;
  /** How this host became root (sudo, su or doas), or that the login user is root already. */
  become: BecomeMethod | 'not needed';
  os: string;
  arch: string;
}

// One round trip: architecture and OS name from the login shell.
const PROBE = `uname -m; (. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME") || uname -s`;

export function registerPing(program: Command): void {
  addHostOptions(
    program
      .command('ping')
      .summary('connect to every host and check that become (sudo, su, doas) works')
      .description(
        'Connects to every selected host in parallel over SSH, checks that become works (become.method: sudo, su or doas), and prints a recap with the method, the OS and the CPU architecture.\n\n' +
          'Example:\n  fleet ping inventory.yaml --limit web --forks 20',
      )
      .argument('<inventory>', 'inventory YAML file'),
  ).action(async (inventoryFile: string, options: CommonOptions) => {
    // Loaded when the command runs, not at start-up (see main.ts).
    const { loadHosts } = await import('../load-hosts.ts');
    const { runOnHosts } = await import('../../engine/run-hosts.ts');
    const { describeRetry, writeRetryFile } = await import('../retry-file.ts');
    const { all, selected: hosts } = await loadHosts(inventoryFile, { limit: options.limit, shard: options.shard, extraVars: options.extraVars });
    const passwords = await collectBecomePasswords(hosts);
    const progress = await createProgress(hosts.length, 'pinging');
    const outcomes = await runOnHosts<PingResult>(
      hosts,
      async ({ host, connection, report }) => {
        report('probe');
        const [arch = '?', os = '?'] = (await connection.execChecked('probe', PROBE)).trim().split('\n');
        let become: PingResult['become'] = 'not needed';
        if (host.become.enabled && host.ssh.user !== 'root') {
          const method = host.become.method;
          report(method);
          await connection.execChecked(method, `test "$(id -u)" = 0 || { echo ${shellQuote(`not root after ${method}`)} >&2; exit 1; }`, { sudo: true });
          become = method;
        }
        return { status: 'ok', result: { user: host.ssh.user, become, os, arch } };
      },
      {
        forks: options.forks,
        emit: progress.sink,
        openOptions: becomeOpenOptions(passwords),
      },
    );
    progress.stop();
    const retry = await writeRetryFile(inventoryFile, options, outcomes, all.map((host) => host.name));
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ command: 'ping', hosts: outcomes, retryFile: retry?.path ?? null }, null, 2)}\n`);
    } else {
      const rows = outcomes.map((outcome) => {
        const result = outcome.result;
        return [
          outcome.host,
          paintStatus(outcome.status),
          result ? `${result.user}, become ${result.become}` : '',
          result ? `${result.os} · ${result.arch}` : color.red(outcome.error?.message.split('\n')[0] ?? ''),
          formatSeconds(outcome.durationMs),
        ];
      });
      process.stdout.write(`\n${color.bold('PING RECAP')}\n${formatTable([['host', 'status', 'login', 'system', 'time'].map(color.dim), ...rows])}\n${describeRetry(retry, 'ping')}`);
    }
    process.exitCode = exitCodeFor(outcomes);
  });
}
