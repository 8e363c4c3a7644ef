/** Quotes one word for a POSIX shell. Every value fleet puts into a remote command goes through here. */
export function shellQuote(word: string | number): string {
  const text = String(word);
  if (/^[A-Za-z0-9_\/.,:=@%+-]+$/.test(text)) return text;
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Builds a command line from a program and its arguments, each quoted. */
export function shellCommand(...words: (string | number)[]): string {
  return words.map(shellQuote).join(' ');
}
