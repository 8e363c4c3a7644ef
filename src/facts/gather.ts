import { VERIFY_HASHES_PREAMBLE } from './binary-state.ts';
import { runInOneRoundTrip } from '../connection/one-round-trip.ts';
import type { Connection } from '../connection/ssh.ts';
import type { FactReader, FactRequest } from '../resources/types.ts';

/** Runs every fact command of a host in one round trip (as root, to read root-only files) and keys the outputs. */
export async function gatherFacts(connection: Connection, requests: readonly FactRequest[], options: { verifyHashes?: boolean } = {}): Promise<Map<string, string>> {
  const preamble = options.verifyHashes ? `${VERIFY_HASHES_PREAMBLE}\n` : '';
  // Each part's exit status is its own answer, not a failure of the round trip: the script ends with
  // `true`, so only a failure of the session or of becoming root fails the facts.
  return readInOneRoundTrip(requests, (script) => connection.execChecked('gather facts', `${preamble}${script}\ntrue`, { sudo: true }));
}

/**
 * Answers fact requests with one script: each request with a command of its own is one part, each
 * reader one part for all its requests.
 */
export async function readInOneRoundTrip(requests: readonly FactRequest[], runScript: (script: string) => Promise<string>): Promise<Map<string, string>> {
  const unique = [...new Map(requests.map((request) => [request.key, request])).values()];
  const own: { key: string; command: string; sharesShell?: true }[] = [];
  const readers = new Map<string, { reader: FactReader; args: string[]; keys: { key: string; arg: string }[] }>();
  for (const request of unique) {
    if ('command' in request) {
      own.push(request);
      continue;
    }
    let group = readers.get(request.reader.name);
    if (!group) readers.set(request.reader.name, (group = { reader: request.reader, args: [], keys: [] }));
    if (!group.args.includes(request.arg)) group.args.push(request.arg);
    group.keys.push({ key: request.key, arg: request.arg });
  }
  const groups = [...readers.values()];
  const outputs = await runInOneRoundTrip(
    [...own.map(({ command, sharesShell }) => (sharesShell ? { command, sharesShell } : command)), ...groups.map(({ reader, args }) => ({ command: reader.command(args), sharesShell: true as const }))],
    runScript,
  );
  const facts = new Map(own.map(({ key }, index) => [key, outputs[index]!]));
  groups.forEach(({ reader, args, keys }, index) => {
    const answers = reader.split(outputs[own.length + index]!, args);
    for (const { key, arg } of keys) facts.set(key, answers[args.indexOf(arg)] ?? '');
  });
  return facts;
}
