/** Quotes one word for a POSIX shell. Every value fleet puts into a remote command goes through here. */
export function shellQuote(word: string | number): string {
  const text = String(word);
  if (/^[A-Za-z0-9_\/.,:=@%+-]+$/.test(text)) return text;
  return singleQuoted(text);
}

/** Builds a command line from a program and its arguments, each quoted. */
export function shellCommand(...words: (string | number)[]): string {
  return words.map(shellQuote).join(' ');
}

/**
 * A command line from an operator's argv: the program is always quoted, since in that position a bare
 * `if` is a keyword and `A=b` an assignment to the shell, not a program to run.
 */
export function shellArgv(argv: readonly string[]): string {
  const [program = '', ...args] = argv;
  return [singleQuoted(program), ...args.map(shellQuote)].join(' ');
}

function singleQuoted(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
