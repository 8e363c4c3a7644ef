import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';

/** What a GET through the host answered: a status (0 when nothing answered) and the body, or why not. */
export interface TunnelAnswer {
  status: number;
  body: string;
  error?: string;
}

/** The host's sshd refuses to open connections for fleet (AllowTcpForwarding no, PermitOpen, DisableForwarding). */
export class TunnelRefused extends Error {}

/** Opens a TCP connection from the host (an SSH direct-tcpip channel): sshd connects, nothing starts on the host. */
export type OpenTunnel = (host: string, port: number) => Promise<Duplex>;

// RFC 4254 section 5.1: the server refused by policy, not because nothing listens.
const ADMINISTRATIVELY_PROHIBITED = 1;

/** ssh2's channel open failure, as a TunnelRefused when it is the server's policy, else as it came. */
export function tunnelOpenError(error: Error & { reason?: unknown }): Error {
  return error.reason === ADMINISTRATIVELY_PROHIBITED ? new TunnelRefused(error.message) : error;
}

// As much body as a command's output may hold (output-cap.ts): a page larger than that is not an endpoint check's.
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * GETs a URL as curl on the host would (`curl -s -g [-k] --max-time 5`): the TCP connection starts on
 * the host, no redirect is followed, the status and body are returned as they came. https only without
 * certificate checks (`insecure`): the host's trust store is not the controller's, so a verified https
 * check stays with the host's curl. Throws TunnelRefused when sshd refuses the channel.
 */
export async function getThroughTunnel(open: OpenTunnel, url: string, options: { insecure: boolean; timeoutMs: number }): Promise<TunnelAnswer> {
  const target = new URL(url);
  const https = target.protocol === 'https:';
  if (!https && target.protocol !== 'http:') throw new Error(`${url}: only http and https go through the tunnel`);
  if (https && !options.insecure) throw new Error(`${url}: verified https is checked by the host's curl`);
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  const defaultPort = https ? 443 : 80;
  // '' is the scheme's port; an explicit :0 is no port at all (curl connects nowhere), not port 80.
  const port = target.port === '' ? defaultPort : Number(target.port);
  if (port === 0) return { status: 0, body: '', error: `${host}:0 is no port to connect to` };
  const deadline = AbortSignal.timeout(options.timeoutMs);
  let channel: Duplex;
  try {
    channel = await beforeDeadline(open(host, port), deadline);
  } catch (error) {
    if (error instanceof TunnelRefused) throw error;
    return { status: 0, body: '', error: `cannot connect to ${host}:${port} from the host: ${(error as Error).message}` };
  }
  const socket = https ? tlsConnect({ socket: channel, rejectUnauthorized: false, servername: isIP(host) ? undefined : host }) : channel;
  return new Promise<TunnelAnswer>((resolve) => {
    const settle = (answer: TunnelAnswer) => {
      resolve(answer);
      socket.destroy();
      channel.destroy();
    };
    // Once the headers came, the response settles: its body may still be on its way to 'data' (a parse error after it).
    let answered = false;
    const request = (https ? httpsRequest : httpRequest)(target, {
      createConnection: () => socket as never,
      // No agent, so no default port: Host would say 127.0.0.1:80 where curl says 127.0.0.1. Accept as curl's.
      defaultPort,
      headers: { accept: '*/*', connection: 'close' },
      signal: deadline,
    }, (response: IncomingMessage) => {
      answered = true;
      const chunks: Buffer[] = [];
      let size = 0;
      const soFar = (error?: string): TunnelAnswer => ({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ...(error ? { error } : {}) });
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) return settle({ status: 0, body: '', error: `the answer is over ${MAX_BODY_BYTES} bytes` });
        chunks.push(chunk);
      });
      response.on('end', () => settle(soFar()));
      // As curl's -w %{http_code} and -o: an answer cut short (the deadline, a reset, a bad chunk) is its status and the body so far.
      response.on('error', (error) => settle(soFar(deadline.aborted ? `cut short after ${options.timeoutMs / 1000} s` : error.message)));
      response.on('close', () => settle(soFar('cut short')));
    });
    request.on('error', (error) => answered || settle({ status: 0, body: '', error: deadline.aborted ? `no answer in ${options.timeoutMs / 1000} s` : error.message }));
    request.end();
  });
}

/** The channel, unless the deadline passes first: then it is closed when it opens. */
function beforeDeadline(opening: Promise<Duplex>, deadline: AbortSignal): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      reject(new Error('no channel before the deadline'));
      opening.then((channel) => channel.destroy(), () => {});
    };
    deadline.addEventListener('abort', onAbort, { once: true });
    opening.then(
      (channel) => (deadline.removeEventListener('abort', onAbort), resolve(channel)),
      (error: unknown) => (deadline.removeEventListener('abort', onAbort), reject(error)),
    );
  });
}
