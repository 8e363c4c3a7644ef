import { shellCommand } from '../connection/quote.ts';
import type { Connection } from '../connection/ssh.ts';

/** The unit's last `count` journal lines as an indented block for an error message, or '' when it logged nothing. */
export async function lastLogLines(connection: Connection, unit: string, count: number): Promise<string> {
  const journal = await connection.exec(shellCommand('journalctl', '-u', unit, '-n', String(count), '--no-pager', '-o', 'cat'), { sudo: true });
  const log = journal.stdout.trim();
  return log ? `last log lines of ${unit}:\n  ${log.split('\n').join('\n  ')}` : '';
}
