import { UsageError } from '../errors.ts';
import type { ResolvedHost } from '../inventory/resolve.ts';
import { registerSecret } from '../connection/trace.ts';

/** The basic auth Prometheus needs for the fleet-node job, when the hosts' Node Exporters ask for it. */
export interface ScrapeAuth {
  username: string;
  password: string;
}

interface WebSettings {
  basic_auth_user?: string;
  basic_auth_password_env?: string;
}

/**
 * A scrape job carries one set of credentials, so every registered host must use the same user and
 * password variable (set them in defaults:). The password comes from the controller's environment.
 */
export function nodeExporterScrapeAuth(hosts: readonly ResolvedHost[]): ScrapeAuth | undefined {
  const settings = hosts.map((host) => ((host.vars.node_exporter as { web?: WebSettings } | undefined)?.web ?? {}) as WebSettings);
  const distinct = new Set(settings.map((web) => `${web.basic_auth_user ?? ''}\0${web.basic_auth_password_env ?? ''}`));
  if (distinct.size > 1) throw new UsageError('the hosts differ in node_exporter.web.basic_auth_user or basic_auth_password_env; Prometheus scrapes them with one job, so set these once in defaults:');
  const [web] = settings;
  if (!web?.basic_auth_user) return undefined;
  const password = web.basic_auth_password_env ? process.env[web.basic_auth_password_env] : undefined;
  registerSecret(password);
  if (!password) throw new UsageError(`node_exporter.web.basic_auth_password_env names ${web.basic_auth_password_env ?? '(nothing)'}, which is not set; Prometheus needs the password to scrape`);
  return { username: web.basic_auth_user, password };
}
