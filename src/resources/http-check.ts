import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { HostError } from '../connection/errors.ts';
import { shellQuote } from '../connection/quote.ts';
import { Connection } from '../connection/ssh.ts';
import type { SshTarget } from '../inventory/resolve.ts';
import { lastLogLines } from './journal.ts';
import type { Change, FactReader, FactSource } from './types.ts';
import { registerSecret } from '../connection/trace.ts';
import { getThroughTunnel } from '../connection/tunnel-http.ts';

export interface HttpCheckSpec {
  url: string;
  /** Where the request starts: the host itself, the machine running fleet, or another inventory host. */
  from: 'host' | 'controller' | { peer: string; target: SshTarget };
  status: number;
  /** A regular expression the body must match. */
  body?: string;
  timeoutSeconds: number;
  /** Whose journal to show when the check fails. */
  service?: string;
  /** Basic auth; the password is read from the controller's environment and sent on stdin, never on a command line. */
  basicAuth?: { user: string; passwordEnv: string };
  /** Accept any TLS certificate (the host's own certificate does not name 127.0.0.1). */
  insecure?: boolean;
  tags?: string[];
}

/** A read-only probe run after changes: proves the endpoint answers, retrying with backoff until a deadline. */
export interface Verification {
  id: string;
  tags: string[];
  /** The service whose endpoint this proves: selecting that service (by tag or notification) selects this check. */
  service?: string;
  /** `once` for check mode: a single attempt, reported rather than retried. */
  verify(connection: Connection, options: { once: boolean }): Promise<Change>;
  /**
   * A first attempt that can share one round trip with other checks of the host: the command, and
   * what its output means (undefined when not yet satisfied, and verify() takes over).
   */
  firstAttempt?: {
    source: FactSource;
    judge(output: string): Change | undefined;
    /**
     * The same attempt through an SSH tunnel from the host, answered as the source's output would be:
     * no curl starts on the host. Rejects with TunnelRefused where the host's sshd forbids tunnels.
     */
    throughTunnel?(connection: Connection): Promise<string>;
  };
}

interface Answer {
  status: number;
  body: string;
  error?: string;
}

// Random per run, like the facts separator: a body (or wget's output when it fails) cannot forge a status.
const STATUS_MARK = `__fleet_http_status_${randomBytes(8).toString('hex')}__`;

interface RequestOptions {
  credentials?: string;
  insecure?: boolean;
}

/** The shell command that GETs a URL on a host: the body, then a marker line with the status. */
function hostRequestCommand(url: string, options: RequestOptions): string {
  // curl reads `user = "name:password"` from stdin (--config -), so the password is in no process list.
  const config = options.credentials ? '--config - ' : '';
  // -g: a URL is one transfer; curl would otherwise expand [1-2] and {a,b} in it (zod's URL check allows them).
  const curl = `curl -sS -g ${options.insecure ? '-k ' : ''}${config}-o - -w ${shellQuote(`\n${STATUS_MARK}%{http_code}`)} --max-time 5 ${shellQuote(url)}`;
  const wget = `wget -q -O - --timeout=5 ${options.insecure ? '--no-check-certificate ' : ''}${shellQuote(url)} && printf ${shellQuote(`\n${STATUS_MARK}200`)}`;
  return `if command -v curl >/dev/null; then ${curl}; else ${wget}; fi`;
}

// Ends each URL's part of a shared request (random per run, like the status marker).
const END_MARK = `__fleet_http_end_${randomBytes(8).toString('hex')}_`;

/**
 * The first attempts of all of a host's checks from one curl (transfers one after the other, each
 * with its own options after --next): starting curl cost more of a converged host's CPU than the
 * requests did. -g in each transfer: a URL that curl globbed into several would print several end
 * marks, and the next URL's answer would begin with this one's bodies. Each URL's answer is what
 * hostRequestCommand would have printed for it, less curl's error text (a first attempt that failed is retried by verify(), which shows the error).
 */
const HTTP_READER: FactReader = {
  name: 'http',
  command(args) {
    const requests = args.map((arg, index) => ({ ...parseRequestArg(arg), end: shellQuote(`\n${END_MARK}${index}\n`) }));
    const curl = requests.map(({ url, insecure }, index) => `-s -g ${insecure ? '-k ' : ''}-o - -w ${shellQuote(`\n${STATUS_MARK}%{http_code}\n${END_MARK}${index}\n`)} --max-time 5 ${shellQuote(url)}`).join(' --next ');
    const wget = requests.map(({ url, insecure, end }) => `{ wget -q -O - --timeout=5 ${insecure ? '--no-check-certificate ' : ''}${shellQuote(url)} && printf ${shellQuote(`\n${STATUS_MARK}200`)}; printf ${end}; }`).join('; ');
    return `if command -v curl >/dev/null; then curl ${curl}; else ${wget}; fi`;
  },
  split(output, args) {
    let from = 0;
    return args.map((_, index) => {
      const end = `\n${END_MARK}${index}\n`;
      const at = output.indexOf(end, from);
      if (at < 0) return '';
      const answer = output.slice(from, at);
      from = at + end.length;
      return answer;
    });
  },
};

const requestArg = (url: string, options: RequestOptions) => `${options.insecure ? 'k' : '-'}${url}`;
const parseRequestArg = (arg: string) => ({ insecure: arg.startsWith('k'), url: arg.slice(1) });

function parseHostAnswer(stdout: string, stderr: string): Answer {
  const at = stdout.lastIndexOf(STATUS_MARK);
  const status = at < 0 ? 0 : Number(stdout.slice(at + STATUS_MARK.length).trim());
  return { status, body: at < 0 ? '' : stdout.slice(0, Math.max(0, at - 1)), error: status === 0 ? stderr.trim().split('\n').pop() || 'no answer' : undefined };
}

async function fetchFromHost(connection: Connection, url: string, options: RequestOptions): Promise<Answer> {
  const stdin = options.credentials ? `user = ${JSON.stringify(options.credentials)}\n` : undefined;
  const result = await connection.exec(hostRequestCommand(url, options), { stdin });
  return parseHostAnswer(result.stdout, result.stderr);
}

async function fetchFromController(url: string, options: RequestOptions): Promise<Answer> {
  try {
    const headers: Record<string, string> = options.credentials ? { authorization: `Basic ${Buffer.from(options.credentials).toString('base64')}` } : {};
    const response = await fetch(url, { signal: AbortSignal.timeout(5000), headers });
    return { status: response.status, body: await response.text() };
  } catch (error) {
    return { status: 0, body: '', error: String((error as Error).cause ?? (error as Error).message) };
  }
}

export function httpCheck(spec: HttpCheckSpec): Verification {
  const origin = typeof spec.from === 'string' ? spec.from : spec.from.peer;
  const id = `http ${spec.url} from ${origin}`;
  const pattern = spec.body ? new RegExp(spec.body, 'm') : undefined;
  const judge = (answer: Answer): string | undefined => {
    if (answer.status === 0) return `no answer: ${answer.error}`;
    if (answer.status !== spec.status) return `HTTP ${answer.status}, expected ${spec.status}: ${answer.body.trim().split('\n').slice(0, 3).join(' ').slice(0, 200)}`;
    if (pattern && !pattern.test(answer.body)) return `HTTP ${answer.status} but the body does not match /${spec.body}/`;
    return undefined;
  };
  // Checks from the host without secrets on stdin can be asked together with the host's other checks.
  const batchable = spec.from === 'host' && !spec.basicAuth;
  // Through the tunnel only what curl on the host would answer alike: http, or https without certificate checks.
  const protocol = URL.canParse(spec.url) ? new URL(spec.url).protocol : '';
  const tunnels = batchable && sentAsWritten(spec.url) && (protocol === 'http:' || (protocol === 'https:' && spec.insecure === true));
  const firstAttempt = batchable
    ? {
        source: { reader: HTTP_READER, arg: requestArg(spec.url, { insecure: spec.insecure }) },
        throughTunnel: tunnels
          ? async (connection: Connection) => {
              const answer = await getThroughTunnel((host, port) => connection.openTunnel(host, port), spec.url, { insecure: spec.insecure === true, timeoutMs: 5000 });
              return answer.status === 0 ? '' : `${answer.body}\n${STATUS_MARK}${answer.status}`;
            }
          : undefined,
        judge(output: string): Change | undefined {
          const answer = parseHostAnswer(output, '');
          return judge(answer) === undefined ? { resource: id, action: 'same', reason: `HTTP ${answer.status}${pattern ? ', body matches' : ''} (attempt 1)` } : undefined;
        },
      }
    : undefined;
  return {
    id,
    tags: spec.tags ?? [],
    service: spec.service,
    firstAttempt,
    async verify(connection, { once }) {
      const request: RequestOptions = { credentials: spec.basicAuth ? `${spec.basicAuth.user}:${passwordFrom(spec.basicAuth.passwordEnv)}` : undefined, insecure: spec.insecure };
      // From another host: one session to it for all attempts, closed when the check is done.
      const peer = typeof spec.from === 'object' ? await openPeer(spec.from.peer, spec.from.target) : undefined;
      const ask = () => (spec.from === 'controller' ? fetchFromController(spec.url, request) : fetchFromHost(peer ?? connection, spec.url, request));
      try {
        return await retryUntilDeadline(ask, connection, once);
      } finally {
        peer?.close();
      }
    },
  };

  async function retryUntilDeadline(ask: () => Promise<Answer>, connection: Connection, once: boolean): Promise<Change> {
    const started = Date.now();
    const deadline = started + spec.timeoutSeconds * 1000;
    let delayMs = 250;
    for (let attempt = 1; ; attempt++) {
      const answer = await ask();
      const problem = judge(answer);
      if (!problem) return { resource: id, action: 'same', reason: `HTTP ${answer.status}${pattern ? ', body matches' : ''} (attempt ${attempt})` };
      if (once) return { resource: id, action: 'update', reason: `not as expected: ${problem}` };
      if (Date.now() + delayMs > deadline) {
        const log = spec.service ? await lastLogLines(connection, `${spec.service}.service`, 10) : '';
        const journal = log ? `\n${log}` : '';
        const where = typeof spec.from === 'object' ? origin : `the ${origin}`;
        throw new HostError('verify', `GET ${spec.url} from ${where}: ${problem} (gave up after ${attempt} attempts in ${Math.round((Date.now() - started) / 1000)} s)${journal}`);
      }
      await sleep(delayMs);
      delayMs = Math.min(delayMs * 2, 4000);
    }
  }
}

/**
 * Whether Node would request the URL as curl does: only RFC 3986's characters and %, less ' and \.
 * new URL() rewrites others (\ becomes /, { } " < > ` and ' in a query are percent-encoded, tabs
 * vanish, a space becomes %20), where curl sends them as written or, for spaces, refuses the URL.
 */
const sentAsWritten = (url: string) => /^[A-Za-z0-9\-._~:/?#[\]@!$&()*+,;=%]+$/.test(url);

function passwordFrom(env: string): string {
  const password = process.env[env];
  registerSecret(password);
  if (!password) throw new HostError('verify', `environment variable ${env} is not set; the check needs it for basic auth`);
  return password;
}

async function openPeer(name: string, target: SshTarget): Promise<Connection> {
  try {
    return await Connection.open(target);
  } catch (error) {
    throw new HostError('verify', `cannot reach ${name} to check from there: ${(error as Error).message}`);
  }
}
