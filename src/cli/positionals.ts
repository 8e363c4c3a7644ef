import type { Command, Option } from 'commander';

/** The positional arguments among `words` (the words after the command name), skipping options and their values. */
export function positionalsAmong(command: Command, words: readonly string[]): string[] {
  const positionals: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word === '--') {
      positionals.push(...words.slice(i + 1));
      break;
    }
    if (word.startsWith('-') && word.length > 1) {
      const option = findOption(command, word);
      if (option && takesValue(option) && !word.includes('=')) i++;
      continue;
    }
    positionals.push(word);
  }
  return positionals;
}

export function findOption(command: Command, word: string): Option | undefined {
  const flag = word.split('=')[0];
  return command.options.find((option) => option.long === flag || option.short === flag);
}

export function takesValue(option: Option): boolean {
  return option.required || option.optional;
}
