import type { Connection } from '../connection/ssh.ts';
import type { FactRequest } from '../resources/types.ts';

const SEPARATOR = '__fleet_fact__';

/** Runs every fact command of a host in one round trip (as root, to read root-only files) and splits the output by key. */
export async function gatherFacts(connection: Connection, requests: readonly FactRequest[]): Promise<Map<string, string>> {
  const unique = [...new Map(requests.map((request) => [request.key, request])).values()];
  if (unique.length === 0) return new Map();
  const script = unique.map((request, index) => `echo ${SEPARATOR}${index}; ( ${request.command} ) 2>&1`).join('\n');
  const output = await connection.execChecked('gather facts', script, { sudo: true });
  const facts = new Map<string, string>();
  const parts = output.split(new RegExp(`^${SEPARATOR}(\\d+)\\n`, 'm'));
  for (let i = 1; i < parts.length; i += 2) facts.set(unique[Number(parts[i])]!.key, parts[i + 1] ?? '');
  return facts;
}
