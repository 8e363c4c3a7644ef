import { VERIFY_HASHES_PREAMBLE } from './binary-state.ts';
import { runInOneRoundTrip } from '../connection/one-round-trip.ts';
import type { Connection } from '../connection/ssh.ts';
import type { FactRequest } from '../resources/types.ts';

/** Runs every fact command of a host in one round trip (as root, to read root-only files) and keys the outputs. */
export async function gatherFacts(connection: Connection, requests: readonly FactRequest[], options: { verifyHashes?: boolean } = {}): Promise<Map<string, string>> {
  const unique = [...new Map(requests.map((request) => [request.key, request])).values()];
  const preamble = options.verifyHashes ? `${VERIFY_HASHES_PREAMBLE}\n` : '';
  const outputs = await runInOneRoundTrip(
    unique.map((request) => request.command),
    (script) => connection.execChecked('gather facts', preamble + script, { sudo: true }),
    // Facts and probes only read, so they run side by side: the round trip lasts as long as its slowest read.
    { parallel: true },
  );
  return new Map(unique.map((request, index) => [request.key, outputs[index]!]));
}
