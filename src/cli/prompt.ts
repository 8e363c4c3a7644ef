import { UsageError } from '../errors.ts';

// Keys that end or edit the line in raw mode (the terminal no longer does it for us).
const ENTER = new Set(['\r', '\n']);
const BACKSPACE = new Set(['\x7f', '\b']);
const CTRL_C = '\x03';
const CTRL_D = '\x04';
const CTRL_U = '\x15';

/**
 * Asks for a secret on the terminal without echoing it, with Node's documented TTY API only: the
 * terminal in raw mode (no echo, no line editing), keys read from stdin and the line edited here.
 */
export async function promptSecret(question: string, alternative = 'become.password_env'): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) throw new UsageError(`${question.trim()} was asked for, but standard input is not a terminal; use ${alternative} instead`);
  process.stderr.write(question);
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.resume();
  try {
    return await new Promise<string>((resolve, reject) => {
      let secret = '';
      const onData = (chunk: string) => {
        for (const key of chunk) {
          if (ENTER.has(key)) return finish(() => resolve(secret));
          if (key === CTRL_C || (key === CTRL_D && secret === '')) return finish(() => reject(new UsageError(`${question.trim()} was not given (the prompt was interrupted)`)));
          if (BACKSPACE.has(key)) secret = [...secret].slice(0, -1).join('');
          else if (key === CTRL_U) secret = '';
          else if (key >= ' ') secret += key;
        }
      };
      const finish = (settle: () => void) => {
        input.removeListener('data', onData);
        settle();
      };
      input.on('data', onData);
    });
  } finally {
    input.setRawMode(false);
    // Let the process exit once the run is over: a flowing stdin would keep it alive.
    input.pause();
    process.stderr.write('\n');
  }
}
