import { shellQuote } from '../connection/quote.ts';
import type { Connection } from '../connection/ssh.ts';

export interface ActiveTarget {
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  lastScrape: string;
}

/** Calls Prometheus from its own host, where its URL is sure to answer (the controller may not reach it). */
async function curlOnServer(connection: Connection, url: string, method: 'GET' | 'POST' = 'GET'): Promise<{ status: number; body: string }> {
  const result = await connection.exec(`curl -sS -X ${method} -o - -w '\\n%{http_code}' --max-time 10 ${shellQuote(url)}`);
  const lines = result.stdout.split('\n');
  const status = Number(lines.pop());
  return { status: Number.isFinite(status) ? status : 0, body: lines.join('\n') || result.stderr.trim() };
}

export async function activeTargets(connection: Connection, baseUrl: string): Promise<ActiveTarget[]> {
  const { status, body } = await curlOnServer(connection, `${baseUrl}/api/v1/targets?state=active`);
  if (status !== 200) throw new Error(`GET ${baseUrl}/api/v1/targets answered ${status || 'nothing'}: ${body.slice(0, 200)}`);
  return (JSON.parse(body) as { data: { activeTargets: ActiveTarget[] } }).data.activeTargets;
}

/**
 * Asks Prometheus to reload its config: POST /-/reload when the lifecycle API is on, otherwise a
 * systemd reload (SIGHUP). Confirms with prometheus_config_last_reload_successful.
 */
export async function reloadPrometheus(connection: Connection, baseUrl: string): Promise<'http' | 'systemd'> {
  const viaHttp = await curlOnServer(connection, `${baseUrl}/-/reload`, 'POST');
  let how: 'http' | 'systemd' = 'http';
  if (viaHttp.status !== 200) {
    how = 'systemd';
    await connection.execChecked('reload prometheus', 'systemctl reload prometheus', { sudo: true });
  }
  for (let attempt = 0; attempt < 20; attempt++) {
    const metrics = await curlOnServer(connection, `${baseUrl}/metrics`);
    const success = /^prometheus_config_last_reload_successful (\d)/m.exec(metrics.body)?.[1];
    if (success === '1' && (how === 'http' || attempt > 0)) return how;
    if (success === '0') throw new Error('Prometheus refused the new configuration (prometheus_config_last_reload_successful is 0); see its journal');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`Prometheus at ${baseUrl} did not confirm the reload`);
}
