/**
 * Completion scripts for each shell. They hold no command or option names: each asks `fleet __complete`,
 * which reads them from the commander definitions, so an installed script never goes stale.
 * Protocol: `fleet __complete -- INDEX WORD...`, the words after `fleet` and the 0-based index of the word
 * being completed; the answer is one candidate a line, and none means "complete file names".
 */
export const COMPLETION_SCRIPTS = {
  bash: `# fleet completion for bash. Load it with: source <(fleet completion bash)
# or install it: fleet completion bash > ~/.local/share/bash-completion/completions/fleet
_fleet_complete() {
  local IFS=$'\\n'
  local -a candidates
  candidates=($(fleet __complete -- "$((COMP_CWORD - 1))" "\${COMP_WORDS[@]:1}" 2>/dev/null))
  COMPREPLY=("\${candidates[@]}")
  # A --limit value may grow by ",more": no space after a host pattern.
  if [[ \${COMP_WORDS[COMP_CWORD-1]} == -l || \${COMP_WORDS[COMP_CWORD-1]} == --limit ]]; then
    compopt -o nospace 2>/dev/null
  fi
}
complete -o default -o bashdefault -F _fleet_complete fleet
`,
  zsh: `#compdef fleet
# fleet completion for zsh. Load it with: source <(fleet completion zsh)
# or install it as _fleet in a folder of your $fpath.
_fleet() {
  local -a candidates
  candidates=("\${(@f)$(fleet __complete -- "$((CURRENT - 2))" "\${(@)words[2,-1]}" 2>/dev/null)}")
  candidates=(\${candidates:#})
  if (( \${#candidates} )); then
    compadd -Q -- "\${candidates[@]}"
  else
    _files
  fi
}
if (( $+functions[compdef] )); then
  compdef _fleet fleet
fi
`,
  fish: `# fleet completion for fish. Load it with: fleet completion fish | source
# or install it: fleet completion fish > ~/.config/fish/completions/fleet.fish
function __fleet_complete
    set -l tokens (commandline -opc)
    set -l current (commandline -ct)
    fleet __complete -- (math (count $tokens) - 1) $tokens[2..-1] $current 2>/dev/null
end
complete -c fleet -a '(__fleet_complete)'
`,
} as const;

export type Shell = keyof typeof COMPLETION_SCRIPTS;
