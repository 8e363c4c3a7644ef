import { randomBytes } from 'node:crypto';

/**
 * Runs several commands as one shell script (one round trip), one after the other or (`parallel`, for
 * independent reads) all at once, and returns each command's output, stdout and stderr together, byte for byte. Each separator starts with its own newline, so an
 * output without a final newline (a file's content) cannot swallow the next separator. The separator
 * is random for each call, so no output (a file fleet reads, a log line) can forge another command's part.
 */
export async function runInOneRoundTrip(commands: readonly string[], runScript: (script: string) => Promise<string>, options: { parallel?: boolean } = {}): Promise<string[]> {
  if (commands.length === 0) return [];
  const PART = `__fleet_part_${randomBytes(12).toString('hex')}_`;
  const steps = commands.map((command, index) => `printf '\\n${PART}%d\\n' ${index}; ( ${command} ) 2>&1`);
  // In parallel: each part writes to its own file (stdin is /dev/null for background jobs), one cat prints them in order.
  const script = options.parallel
    ? ['d=$(mktemp -d) || exit 1', `trap 'rm -rf "$d"' EXIT`, ...steps.map((step, index) => `{ ${step}; } >"$d/${index}" &`), 'wait', `cat ${steps.map((_, index) => `"$d/${index}"`).join(' ')}`].join('\n')
    : steps.join('\n');
  const parts = (await runScript(script)).split(new RegExp(`\\n${PART}(\\d+)\\n`));
  const outputs = commands.map(() => '');
  for (let i = 1; i < parts.length; i += 2) outputs[Number(parts[i])] = parts[i + 1] ?? '';
  return outputs;
}
