import { Agent, Dispatcher, ProxyAgent } from 'undici';
import { proxyFor, type ProxyChoice } from './proxy-env.ts';

/**
 * Node 20's fetch ignores HTTP_PROXY, HTTPS_PROXY and NO_PROXY; corporate networks need them. undici 6
 * (the line that still runs on Node 20.12) sends each request through a ProxyAgent or straight out. The
 * choice is made per origin, on every request, so a redirect (GitHub's release URL to its download
 * host) is checked against NO_PROXY again. http:// URLs go to the proxy as absolute-URI requests
 * (`GET http://host/path`, proxyTunnel off), as curl sends them; https:// ones through CONNECT.
 * undici's own EnvHttpProxyAgent is not used: it is experimental (a warning on every run), falls back
 * from HTTPS_PROXY to HTTP_PROXY where curl does not, and knows no CIDRs in NO_PROXY.
 */
export class ProxyRouter extends Dispatcher {
  private readonly direct = new Agent();
  private readonly proxies = new Map<string, ProxyAgent>();

  constructor(private readonly env: Record<string, string | undefined> = process.env) {
    super();
  }

  /** The proxy a URL's requests go through, if any (for the error messages). */
  proxyOf(url: string): ProxyChoice | undefined {
    return proxyFor(new URL(url), this.env);
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandlers): boolean {
    const proxy = proxyFor(new URL(String(options.origin)), this.env);
    if (!proxy) return this.direct.dispatch(options, handler);
    let agent = this.proxies.get(proxy.url.href);
    if (!agent) {
      agent = new ProxyAgent({ uri: proxy.url.href, proxyTunnel: false });
      this.proxies.set(proxy.url.href, agent);
    }
    return agent.dispatch(options, handler);
  }

  override async close(): Promise<void> {
    await Promise.all([this.direct, ...this.proxies.values()].map((agent) => agent.close()));
  }

  override async destroy(): Promise<void> {
    await Promise.all([this.direct, ...this.proxies.values()].map((agent) => agent.destroy()));
  }
}
