import { Argument, type Command } from 'commander';

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .summary('print a shell completion script (bash, zsh or fish)')
    .description(
      'Prints a script that completes fleet\'s commands and options, playbook names, and host and group names from the inventory ' +
        '(after --limit, and for remove). The script asks fleet for the names each time, so it stays current as fleet and the inventory change.\n\n' +
        'Examples:\n  source <(fleet completion bash)                        this shell only\n' +
        '  fleet completion bash > ~/.local/share/bash-completion/completions/fleet\n' +
        '  fleet completion zsh > "${fpath[1]}/_fleet"\n  fleet completion fish > ~/.config/fish/completions/fleet.fish',
    )
    .addArgument(new Argument('<shell>', 'the shell to complete for').choices(['bash', 'zsh', 'fish']))
    .action(async (shell: 'bash' | 'zsh' | 'fish') => {
      const { COMPLETION_SCRIPTS } = await import('../completion/scripts.ts');
      process.stdout.write(COMPLETION_SCRIPTS[shell]);
    });

  // What the scripts call at each <TAB>: kept out of --help, and quick (it loads only the name readers).
  program
    .command('__complete', { hidden: true })
    .argument('<index>', '0-based index of the word being completed, among the words after fleet')
    .argument('[words...]', 'the words after fleet')
    .helpOption(false)
    .action(async (index: string, words: string[]) => {
      const { completeWords } = await import('../completion/candidates.ts');
      const { fileNameSources } = await import('../completion/name-sources.ts');
      // With no inventory on the line, fleet.yaml's (as the command itself would take it) supplies the names.
      const { withConfiguredInventory } = await import('../project-defaults.ts');
      const before = (await withConfiguredInventory(program, ['', '', ...words.slice(0, Number(index))])).slice(2);
      const candidates = completeWords(program, [...before, ...words.slice(Number(index))], before.length, fileNameSources);
      if (candidates.length) process.stdout.write(`${candidates.join('\n')}\n`);
    });
}
