import { setTimeout as sleep } from 'node:timers/promises';
import type { ReadableStream } from 'node:stream/web';
import { fetch } from 'undici';
import { ExternalError } from '../errors.ts';
import { ProxyRouter } from './proxy-dispatcher.ts';

// Every download of the process shares it: one connection pool per origin and proxy.
let router: ProxyRouter | undefined;

/**
 * A transfer cut short (a server or proxy closing the connection mid-body: Debian 12's tinyproxy cut
 * 1 to 5 of 30 archive downloads from undici in the lab, and none of 60 from curl) is tried again;
 * what is read is verified by checksum, so another try is safe. A refused connection or an HTTP error
 * is not retried: trying again changes nothing.
 */
const ATTEMPTS = 3;
const CUT_SHORT = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'UND_ERR_BODY_TIMEOUT']);

/**
 * GETs a URL through the proxy HTTP_PROXY or HTTPS_PROXY names unless NO_PROXY covers it, and hands
 * its body to `read` (once per attempt). A network failure or a status other than 2xx is an
 * ExternalError naming `what` and the proxy it went through (without the proxy's password).
 */
export async function fetchAndRead<T>(url: string, what: string, read: (body: ReadableStream<Uint8Array>) => Promise<T>): Promise<T> {
  router ??= new ProxyRouter();
  const dispatcher = router;
  const proxy = dispatcher.proxyOf(url);
  const via = proxy ? ` (through the proxy ${proxy.shown})` : '';
  for (let attempt = 1; ; attempt++) {
    let cut = false;
    const failed = (error: Error): ExternalError => {
      const cause = (error.cause ?? error) as Error & { code?: string };
      if (cause instanceof ExternalError) return cause;
      cut = CUT_SHORT.has(cause.code ?? '') || error.message === 'terminated';
      return new ExternalError(`download of ${what} failed: ${cause.message}${via}${attempt > 1 ? ` (after ${attempt} attempts)` : ''}`);
    };
    try {
      const response = await fetch(url, { redirect: 'follow', dispatcher }).catch((error: Error) => Promise.reject(failed(error)));
      if (!response.ok || !response.body) throw new ExternalError(`download of ${what} failed: HTTP ${response.status}${via}`);
      // Errors while the body streams are the network's too (TypeError from fetch), not fleet's.
      return await read(response.body as ReadableStream<Uint8Array>).catch((error: Error) => Promise.reject(error instanceof TypeError ? failed(error) : error));
    } catch (error) {
      if (!cut || attempt >= ATTEMPTS) throw error;
      await sleep(200 * attempt);
    }
  }
}
