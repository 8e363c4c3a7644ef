import { registerSecret } from '../connection/trace.ts';
import { ExternalError } from '../errors.ts';
import { shellQuote } from '../connection/quote.ts';
import { bypassesProxy } from './no-proxy.ts';

type Env = Record<string, string | undefined>;

/** One proxy variable as curl and wget read it: the lower-case name first, then the upper-case one. */
function variable(env: Env, name: 'http_proxy' | 'https_proxy' | 'no_proxy'): { name: string; value: string } | undefined {
  for (const key of [name, name.toUpperCase()]) {
    const value = env[key]?.trim();
    if (value) return { name: key, value };
  }
  return undefined;
}

export interface ProxyChoice {
  /** The proxy's URL, credentials included: only for the connection itself. */
  url: URL;
  /** The proxy as errors and logs may show it: any password replaced by ****. */
  shown: string;
}

/**
 * The proxy for one download, as curl picks it: `https_proxy` for https URLs, `http_proxy` for http
 * ones (no fallback from one to the other), none when NO_PROXY covers the host. Its password is a
 * secret: masked in every log from here on.
 */
export function proxyFor(target: URL, env: Env = process.env): ProxyChoice | undefined {
  const chosen = variable(env, target.protocol === 'https:' ? 'https_proxy' : 'http_proxy');
  if (!chosen || bypassesProxy(target, variable(env, 'no_proxy')?.value)) return undefined;
  let url: URL;
  try {
    // curl takes a proxy without a scheme as http://.
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(chosen.value) ? chosen.value : `http://${chosen.value}`);
  } catch {
    throw new ExternalError(`${chosen.name} is not a proxy URL fleet can use (expected http://[user:password@]host:port)`);
  }
  registerProxySecrets(url);
  return { url, shown: `${showProxy(url)} (${chosen.name})` };
}

function registerProxySecrets(url: URL): void {
  if (!url.password) return;
  registerSecret(url.password);
  registerSecret(decodeURIComponent(url.password));
}

/** A proxy URL fit to show: without its password. */
export function showProxy(url: URL): string {
  if (!url.password) return url.href.replace(/\/$/, '');
  const shown = new URL(url.href);
  shown.password = '****';
  return shown.href.replace(/\/$/, '');
}

/**
 * The controller's proxy variables as assignments for a command on a host (`artifacts.fetch: host`),
 * in both cases: curl reads `http_proxy` only in lower case, other tools the upper-case names. Only
 * these variables go along, each value quoted; passwords in them are masked in fleet's logs.
 */
export function hostProxyAssignments(env: Env = process.env): string {
  const words: string[] = [];
  for (const name of ['http_proxy', 'https_proxy', 'no_proxy'] as const) {
    const found = variable(env, name);
    if (!found) continue;
    if (name !== 'no_proxy') {
      try {
        registerProxySecrets(new URL(found.value));
      } catch {
        // Not a URL fleet can parse: the host's curl will say so.
      }
    }
    words.push(`${name}=${shellQuote(found.value)}`, `${name.toUpperCase()}=${shellQuote(found.value)}`);
  }
  return words.join(' ');
}
