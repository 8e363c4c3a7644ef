import { createInterface } from 'node:readline';
import { UsageError } from '../errors.ts';

/** Asks for a secret on the terminal without echoing it. */
export async function promptSecret(question: string, alternative = 'become.password_env'): Promise<string> {
  if (!process.stdin.isTTY) throw new UsageError(`${question.trim()} was asked for, but standard input is not a terminal; use ${alternative} instead`);
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const output = rl as unknown as { _writeToOutput: (text: string) => void };
  process.stderr.write(question);
  output._writeToOutput = () => {};
  try {
    return await new Promise((resolve) => rl.question('', resolve));
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}
