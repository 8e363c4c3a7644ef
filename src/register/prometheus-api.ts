import { shellQuote } from '../connection/quote.ts';
import type { Connection } from '../connection/ssh.ts';
import type { FactRequest } from '../resources/types.ts';

export interface ActiveTarget {
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  lastScrape: string;
}

const curlCommand = (url: string, method: 'GET' | 'POST' = 'GET') => `curl -sS -X ${method} -o - -w '\\n%{http_code}' --max-time 10 ${shellQuote(url)}`;

function parseCurlAnswer(stdout: string, stderr: string): { status: number; body: string } {
  const lines = stdout.split('\n');
  const status = Number(lines.pop());
  return { status: Number.isFinite(status) ? status : 0, body: lines.join('\n') || stderr.trim() };
}

/** Calls Prometheus from its own host, where its URL is sure to answer (the controller may not reach it). */
async function curlOnServer(connection: Connection, url: string, method: 'GET' | 'POST' = 'GET'): Promise<{ status: number; body: string }> {
  const result = await connection.exec(curlCommand(url, method));
  return parseCurlAnswer(result.stdout, result.stderr);
}

export async function activeTargets(connection: Connection, baseUrl: string): Promise<ActiveTarget[]> {
  const { status, body } = await curlOnServer(connection, `${baseUrl}/api/v1/targets?state=active`);
  return parseActiveTargets(baseUrl, status, body);
}

/** The targets as a read in the server's facts round trip (its stderr joins stdout there). */
export function activeTargetsFact(key: string, baseUrl: string): FactRequest {
  return { key, command: curlCommand(`${baseUrl}/api/v1/targets?state=active`) };
}

export function activeTargetsFromFact(baseUrl: string, output: string): ActiveTarget[] {
  const { status, body } = parseCurlAnswer(output.replace(/\n$/, ''), '');
  return parseActiveTargets(baseUrl, status, body);
}

function parseActiveTargets(baseUrl: string, status: number, body: string): ActiveTarget[] {
  if (status !== 200) throw new Error(`GET ${baseUrl}/api/v1/targets answered ${status || 'nothing'}: ${body.slice(0, 200)}`);
  return (JSON.parse(body) as { data: { activeTargets: ActiveTarget[] } }).data.activeTargets;
}

interface ReloadState {
  successful?: string;
  /** When the last reload succeeded, in seconds (Prometheus' own clock). */
  successAt: number;
}

async function reloadState(connection: Connection, baseUrl: string): Promise<ReloadState> {
  const { status, body } = await curlOnServer(connection, `${baseUrl}/metrics`);
  if (status !== 200) throw new Error(`GET ${baseUrl}/metrics answered ${status || 'nothing'}: ${body.slice(0, 200)}`);
  const successAt = /^prometheus_config_last_reload_success_timestamp_seconds (\S+)/m.exec(body)?.[1];
  return { successful: /^prometheus_config_last_reload_successful (\d)/m.exec(body)?.[1], successAt: Number(successAt ?? Number.NaN) };
}

/**
 * Asks Prometheus to reload its config: POST /-/reload when the lifecycle API is on, otherwise a
 * systemd reload (SIGHUP). A SIGHUP is handled later, so `..._successful` read right after it is the
 * previous reload's: only a newer `prometheus_config_last_reload_success_timestamp_seconds` confirms it.
 */
export async function reloadPrometheus(connection: Connection, baseUrl: string, timeoutMs = 20_000): Promise<'http' | 'systemd'> {
  const before = await reloadState(connection, baseUrl);
  const viaHttp = await curlOnServer(connection, `${baseUrl}/-/reload`, 'POST');
  // POST /-/reload answers after the reload, with 500 and the error when the config is refused.
  if (viaHttp.status === 500) throw new Error(`Prometheus refused the new configuration: ${viaHttp.body.trim().slice(0, 300)}`);
  const how: 'http' | 'systemd' = viaHttp.status === 200 ? 'http' : 'systemd';
  if (how === 'systemd') await connection.execChecked('reload prometheus', 'systemctl reload prometheus', { sudo: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await reloadState(connection, baseUrl);
    if (now.successAt > before.successAt) return how;
    // A failure leaves the timestamp and turns the gauge to 0; a 0 from an earlier failure proves nothing.
    if (now.successful === '0' && before.successful !== '0') throw new Error('Prometheus refused the new configuration (prometheus_config_last_reload_successful is 0); see its journal');
    if (Date.now() >= deadline) {
      throw new Error(`Prometheus at ${baseUrl} did not confirm the reload within ${timeoutMs / 1000} s: prometheus_config_last_reload_success_timestamp_seconds stayed ${before.successAt}${now.successful === '0' ? ' and the last reload failed' : ''}; see its journal`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Whether Prometheus accepts remote write on /api/v1/write (404 otherwise): the flag
 * --web.enable-remote-write-receiver, or the older --enable-feature=remote-write-receiver.
 */
export async function remoteWriteReceiverEnabled(connection: Connection, baseUrl: string): Promise<boolean> {
  const { status, body } = await curlOnServer(connection, `${baseUrl}/api/v1/status/flags`);
  if (status !== 200) throw new Error(`GET ${baseUrl}/api/v1/status/flags answered ${status || 'nothing'}: ${body.slice(0, 200)}`);
  const flags = (JSON.parse(body) as { data: Record<string, string> }).data;
  return flags['web.enable-remote-write-receiver'] === 'true' || (flags['enable-feature'] ?? '').split(',').includes('remote-write-receiver');
}

export interface VectorSample {
  metric: Record<string, string>;
  /** [evaluation time in seconds, the value as text] */
  value: [number, string];
}

/** An instant query through GET /api/v1/query; the result must be a vector. */
export async function queryPrometheus(connection: Connection, baseUrl: string, query: string): Promise<VectorSample[]> {
  const { status, body } = await curlOnServer(connection, `${baseUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
  if (status !== 200) throw new Error(`GET ${baseUrl}/api/v1/query?query=${query} answered ${status || 'nothing'}: ${body.slice(0, 200)}`);
  const answer = JSON.parse(body) as { data: { resultType: string; result: VectorSample[] } };
  if (answer.data.resultType !== 'vector') throw new Error(`GET ${baseUrl}/api/v1/query?query=${query} answered a ${answer.data.resultType}, not a vector`);
  return answer.data.result;
}
