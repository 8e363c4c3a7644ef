import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readInOneRoundTrip } from '../../../src/facts/gather.ts';
import { httpCheck } from '../../../src/resources/http-check.ts';
import { requireTool } from '../../helpers/required-tool.ts';

const sh = async (script: string) => (await promisify(execFile)('sh', ['-c', script])).stdout;

describe("the first attempts of a host's checks", () => {
  it('come from one curl, each URL judged on its own answer', async (context) => {
    await requireTool(context, 'curl', 'apt-get install curl');
    const server = createServer((request, response) => {
      if (request.url === '/ready') response.end('Alloy is ready.\n');
      else if (request.url === '/metrics') response.end('# a body that imitates the next part\n__fleet_http_end_0\nnode_exporter_build_info{version="1.12.1"} 1\n');
      else response.writeHead(503).end('not ready');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const checks = [
        httpCheck({ url: `${base}/metrics`, from: 'host', status: 200, body: 'node_exporter_build_info\\{version="1\\.12\\.1"\\}', timeoutSeconds: 1 }),
        httpCheck({ url: `${base}/starting`, from: 'host', status: 200, timeoutSeconds: 1 }),
        // Nothing listens there: curl fails this transfer and goes on with the next.
        httpCheck({ url: 'http://127.0.0.1:9/closed', from: 'host', status: 200, timeoutSeconds: 1 }),
        httpCheck({ url: `${base}/ready`, from: 'host', status: 200, body: 'ready', timeoutSeconds: 1 }),
      ];
      let scripts = 0;
      const outputs = await readInOneRoundTrip(checks.map((check, index) => ({ key: String(index), ...check.firstAttempt!.source })), (script) => (scripts++, sh(script)));
      expect(scripts).toBe(1);
      const judged = checks.map((check, index) => check.firstAttempt!.judge(outputs.get(String(index))!)?.action ?? 'retry');
      expect(judged).toEqual(['same', 'retry', 'retry', 'same']);
      expect(checks.every((check) => check.firstAttempt!.source && 'reader' in check.firstAttempt!.source)).toBe(true);
    } finally {
      server.close();
    }
  });

  it("cannot take another URL's body: curl's globbing is off, so one URL is one transfer", async (context) => {
    await requireTool(context, 'curl', 'apt-get install curl');
    const server = createServer((request, response) => {
      if (request.url === '/ready') response.writeHead(503).end('not ready\n');
      else response.end(`page ${request.url}: Alloy is ready.\n`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const checks = [
        // A valid URL to zod and to fetch(), but a range to curl's globbing: two transfers, two end marks.
        httpCheck({ url: `${base}/page?n=[1-2]`, from: 'host', status: 200, timeoutSeconds: 1 }),
        httpCheck({ url: `${base}/ready`, from: 'host', status: 503, body: 'Alloy is ready', timeoutSeconds: 1 }),
      ];
      const outputs = await readInOneRoundTrip(checks.map((check, index) => ({ key: String(index), ...check.firstAttempt!.source })), sh);
      expect(outputs.get('0')).toContain('page /page?n=[1-2]');
      expect(checks[1]!.firstAttempt!.judge(outputs.get('1')!)).toBeUndefined();
    } finally {
      server.close();
    }
  });
});

describe('which first attempts go through a tunnel', () => {
  const tunnels = (url: string, extra: Partial<Parameters<typeof httpCheck>[0]> = {}) => httpCheck({ url, from: 'host', status: 200, timeoutSeconds: 1, ...extra }).firstAttempt?.throughTunnel !== undefined;

  it('those whose URL Node sends as curl does', () => {
    expect(tunnels('http://127.0.0.1:9100/metrics')).toBe(true);
    expect(tunnels('http://127.0.0.1:9100/metrics?collect[]=cpu&x=%20#top')).toBe(true);
    expect(tunnels('http://[::1]:9100/metrics')).toBe(true);
    expect(tunnels('HTTP://localhost/metrics')).toBe(true);
    expect(tunnels('https://127.0.0.1:9100/metrics', { insecure: true })).toBe(true);
  });

  it("not those new URL() would rewrite: curl sends \\ { } \" ' as written, and refuses spaces and tabs", () => {
    // Node would ask for /a/b where curl asks for /a\b, and for /a%20b where curl answers 000.
    for (const url of ['http://127.0.0.1:9100/a\\b', 'http://127.0.0.1:9100/a b', 'http://127.0.0.1:9100/a\tb', 'http://127.0.0.1:9100/{x}', 'http://127.0.0.1:9100/"x"', "http://127.0.0.1:9100/?q='x'", 'http://127.0.0.1:9100/<x>', 'http://127.0.0.1:9100/a`b', 'http://127.0.0.1:9100/é']) {
      expect(tunnels(url), url).toBe(false);
      expect(httpCheck({ url, from: 'host', status: 200, timeoutSeconds: 1 }).firstAttempt?.source, url).toBeDefined();
    }
  });

  it('not those with basic auth, verified https or from elsewhere', () => {
    expect(tunnels('http://127.0.0.1:9100/metrics', { basicAuth: { user: 'u', passwordEnv: 'P' } })).toBe(false);
    expect(tunnels('https://127.0.0.1:9100/metrics')).toBe(false);
    expect(tunnels('http://127.0.0.1:9100/metrics', { from: 'controller' })).toBe(false);
  });
});
