import { randomBytes } from 'node:crypto';
import type { PseudoTtyOptions } from 'ssh2';
import type { BecomeMethod } from '../inventory/schema.ts';
import { shellQuote } from './quote.ts';

/**
 * How a command becomes root with su or doas. Both read a password from the terminal only (never from
 * stdin, unlike `sudo -S`), so such a command runs on a PTY: fleet waits for the prompt, types the
 * password, and learns that authentication worked from a random marker the root shell prints first,
 * as Ansible's become plugins do (ansible/plugins/become/su.py, community.general doas.py). A PTY merges
 * stderr into stdout, so the root shell keeps the command's two streams in files and prints them after
 * it, split by a second marker: fleet's parsers get stdout and stderr as they would over a plain channel.
 */

/** sudo's secure_path on Debian: su keeps the login user's PATH, which lacks the sbin folders. */
const ROOT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface TerminalMarkers {
  /** Printed by the root shell before anything else: authentication worked. */
  ok: string;
  /** Printed between the command's stdout and its stderr. */
  stderr: string;
}

export function newTerminalMarkers(): TerminalMarkers {
  const id = randomBytes(12).toString('hex');
  return { ok: `__fleet_become_ok_${id}__`, stderr: `__fleet_become_stderr_${id}__` };
}

/** Whether a command becoming root this way needs a terminal: su always, doas when it asks for a password. */
export function needsTerminal(method: BecomeMethod, password: string | undefined): method is 'su' | 'doas' {
  return method === 'su' || (method === 'doas' && password !== undefined);
}

/**
 * The command line for a PTY channel. Echo and output processing are off (also asked for in the PTY's
 * modes), so the password is never echoed back and the command's bytes arrive unchanged (no \r\n). The
 * command itself gets no terminal: stdin is /dev/null, and its output goes to files (no pager, no colours).
 */
export function terminalBecomeCommand(method: 'su' | 'doas', bounded: string, markers: TerminalMarkers): string {
  const inner = [
    `echo ${markers.ok}`,
    `PATH=${ROOT_PATH}; export PATH`,
    'd=$(mktemp -d) || exit 125',
    `{ ${bounded}; } </dev/null >"$d/o" 2>"$d/e"; c=$?`,
    `cat "$d/o"; printf '\\n%s\\n' ${markers.stderr}; cat "$d/e"; rm -rf "$d"; exit $c`,
  ].join('\n');
  const become = method === 'su' ? `su root -c ${shellQuote(inner)}` : `doas -u root -- sh -c ${shellQuote(inner)}`;
  return `stty -echo -opost 2>/dev/null; exec ${become}`;
}

/** doas with a `nopass` rule: no terminal; `-n` fails at once instead of asking. `ok` is printed on stderr. */
export function doasNopassCommand(bounded: string, ok: string): string {
  return `doas -n -u root -- sh -c ${shellQuote(`echo ${ok} >&2; PATH=${ROOT_PATH}; export PATH; ${bounded}`)}`;
}

/** ssh2's PTY request: no echo, no output processing (modes as in RFC 4254 section 8). */
export const BECOME_PTY: PseudoTtyOptions = { term: 'dumb', rows: 24, cols: 200, modes: { ECHO: 0, ECHOE: 0, ECHOK: 0, ECHONL: 0, OPOST: 0, ONLCR: 0 } };

/**
 * su's and doas's prompts end with a colon in every language they speak ("Password: ", "doas (u@h) password: ").
 * Their error lines start with their name and a colon, which can arrive on its own ("su: ", then
 * "Authentication failure"): that is not a prompt.
 */
export function endsWithPrompt(text: string, method?: BecomeMethod): boolean {
  const line = text.split(/[\r\n]/).at(-1) ?? '';
  return line.trim() !== '' && /[:：]\s*$/.test(line) && line.trim() !== `${method}:`;
}

export interface TerminalOutput {
  authenticated: boolean;
  /** What su or doas said before the marker (a prompt, an error); empty once authenticated. */
  said: string;
  stdout: string;
  stderr: string;
}

/** Splits a PTY channel's output at the markers of terminalBecomeCommand. */
export function splitTerminalOutput(output: string, markers: TerminalMarkers): TerminalOutput {
  const okAt = output.search(new RegExp(`${markers.ok}\\r?\\n`));
  if (okAt < 0) return { authenticated: false, said: output, stdout: '', stderr: '' };
  const rest = output.slice(output.indexOf('\n', okAt) + 1);
  const split = rest.lastIndexOf(`\n${markers.stderr}\n`);
  if (split < 0) return { authenticated: true, said: '', stdout: rest, stderr: '' };
  return { authenticated: true, said: '', stdout: rest.slice(0, split), stderr: rest.slice(split + markers.stderr.length + 2) };
}

/**
 * Why su or doas refused, in a few words: the prompts it printed are dropped, and its own name in front
 * ("su: Authentication failure" -> "authentication failure").
 */
export function becomeRefusal(method: BecomeMethod, said: string, prompts: readonly string[]): string {
  let text = said;
  for (const prompt of prompts) text = text.replace(prompt, '\n');
  const lines = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line && !endsWithPrompt(line, method));
  const last = (lines.at(-1) ?? '').replace(new RegExp(`^${method}:\\s*`), '');
  return last ? last.charAt(0).toLowerCase() + last.slice(1) : '';
}
