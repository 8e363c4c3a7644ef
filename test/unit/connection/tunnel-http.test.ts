import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestCertificates } from '../../helpers/test-ca.ts';
import { requireTool } from '../../helpers/required-tool.ts';
import { getThroughTunnel, TunnelRefused, tunnelOpenError, type OpenTunnel } from '../../../src/connection/tunnel-http.ts';

// A real TCP connection plays sshd's direct-tcpip channel: the endpoint sees what it would from sshd.
const viaTcp: OpenTunnel = (host, port) =>
  new Promise((resolve, reject) => {
    const socket = connect({ host, port }, () => resolve(socket));
    socket.once('error', reject);
  });

let server: Server;
let port = 0;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    seen.push(`${request.method} ${request.url}`);
    if (request.url === '/moved') return void response.writeHead(302, { location: '/ready' }).end('see /ready');
    if (request.url === '/slow') return; // never answers
    if (request.url === '/headers') return void response.end(`host=${request.headers.host} accept=${request.headers.accept}`);
    if (request.url === '/chunked') {
      response.write('part one, ');
      return void setTimeout(() => response.end('part two'), 20);
    }
    response.writeHead(request.url === '/ready' ? 200 : 404).end(request.url === '/ready' ? 'Alloy is ready.\n' : 'not found');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('an endpoint check through a tunnel from the host', () => {
  it('GETs the path and query of the URL and returns the status and body as they came', async () => {
    expect(await getThroughTunnel(viaTcp, `http://127.0.0.1:${port}/ready`, { insecure: false, timeoutMs: 2000 })).toEqual({ status: 200, body: 'Alloy is ready.\n' });
    expect(await getThroughTunnel(viaTcp, `http://127.0.0.1:${port}/metrics?collect[]=textfile`, { insecure: false, timeoutMs: 2000 })).toEqual({ status: 404, body: 'not found' });
    expect(seen).toContain('GET /metrics?collect[]=textfile');
    expect(await getThroughTunnel(viaTcp, `http://127.0.0.1:${port}/chunked`, { insecure: false, timeoutMs: 2000 })).toEqual({ status: 200, body: 'part one, part two' });
  });

  it('follows no redirect, as curl without -L does', async () => {
    expect(await getThroughTunnel(viaTcp, `http://127.0.0.1:${port}/moved`, { insecure: false, timeoutMs: 2000 })).toEqual({ status: 302, body: 'see /ready' });
  });

  it('answers status 0 with the reason when nothing listens or nothing answers in time', async () => {
    const closed = await new Promise<number>((done) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const free = (probe.address() as AddressInfo).port;
        probe.close(() => done(free));
      });
    });
    expect(await getThroughTunnel(viaTcp, `http://127.0.0.1:${closed}/ready`, { insecure: false, timeoutMs: 2000 })).toMatchObject({ status: 0, error: expect.stringContaining('ECONNREFUSED') });
    const started = Date.now();
    expect(await getThroughTunnel(viaTcp, `http://127.0.0.1:${port}/slow`, { insecure: false, timeoutMs: 300 })).toEqual({ status: 0, body: '', error: 'no answer in 0.3 s' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("passes on sshd's refusal by policy, and tells it apart from a port where nothing listens", async () => {
    const prohibited = Object.assign(new Error('(SSH) Channel open failure: administratively prohibited'), { reason: 1 });
    const connectFailed = Object.assign(new Error('(SSH) Channel open failure: Connection refused'), { reason: 2 });
    expect(tunnelOpenError(prohibited)).toBeInstanceOf(TunnelRefused);
    expect(tunnelOpenError(connectFailed)).not.toBeInstanceOf(TunnelRefused);
    await expect(getThroughTunnel(() => Promise.reject(tunnelOpenError(prohibited)), `http://127.0.0.1:${port}/ready`, { insecure: false, timeoutMs: 2000 })).rejects.toBeInstanceOf(TunnelRefused);
    expect(await getThroughTunnel(() => Promise.reject(tunnelOpenError(connectFailed)), `http://127.0.0.1:${port}/ready`, { insecure: false, timeoutMs: 2000 })).toMatchObject({ status: 0, error: expect.stringContaining('Connection refused') });
  });

  it('sends the Host and Accept headers curl sends: no default port in Host', async () => {
    // The opener goes to the test server whatever port the URL says: only the request is looked at.
    const anyPort: OpenTunnel = (host) => viaTcp(host, port);
    expect(await getThroughTunnel(anyPort, 'http://127.0.0.1/headers', { insecure: false, timeoutMs: 2000 })).toEqual({ status: 200, body: 'host=127.0.0.1 accept=*/*' });
    expect(await getThroughTunnel(anyPort, 'http://127.0.0.1:80/headers', { insecure: false, timeoutMs: 2000 })).toEqual({ status: 200, body: 'host=127.0.0.1 accept=*/*' });
    expect(await getThroughTunnel(anyPort, 'http://127.0.0.1:8080/headers', { insecure: false, timeoutMs: 2000 })).toEqual({ status: 200, body: 'host=127.0.0.1:8080 accept=*/*' });
  });

  it('sends no default port in Host over https either', async (context) => {
    await requireTool(context, 'openssl', 'apt-get install openssl');
    const certs = makeTestCertificates(['127.0.0.1']);
    const tls = createHttpsServer({ key: readFileSync(certs.keyFile), cert: readFileSync(certs.certFile) }, (request, response) => response.end(`host=${request.headers.host}`));
    await new Promise<void>((done) => tls.listen(0, '127.0.0.1', done));
    try {
      const anyPort: OpenTunnel = (host) => viaTcp(host, (tls.address() as AddressInfo).port);
      expect(await getThroughTunnel(anyPort, 'https://127.0.0.1/', { insecure: true, timeoutMs: 2000 })).toEqual({ status: 200, body: 'host=127.0.0.1' });
    } finally {
      tls.closeAllConnections();
      tls.close();
    }
  });

  it('answers as curl does when the answer is cut short after its headers: the status and the body so far', async () => {
    // curl -w %{http_code} prints the status it received whatever went wrong after it, and -o the body so far.
    const answers: Record<string, (socket: Socket) => void> = {
      '/stalls': (socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nready partial'),
      '/short': (socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nready'),
      '/bad-chunk': (socket) => socket.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nready\r\nZZ\r\n'),
      '/trailing-bytes': (socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nreadyEXTRA'),
    };
    const sockets = new Set<Socket>();
    const raw = createTcpServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.once('data', (data) => answers[data.toString().split(' ')[1]!]!(socket));
    });
    await new Promise<void>((done) => raw.listen(0, '127.0.0.1', done));
    const base = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`;
    try {
      expect(await getThroughTunnel(viaTcp, `${base}/stalls`, { insecure: false, timeoutMs: 300 })).toMatchObject({ status: 200, body: 'ready partial' });
      expect(await getThroughTunnel(viaTcp, `${base}/short`, { insecure: false, timeoutMs: 2000 })).toMatchObject({ status: 200, body: 'ready' });
      expect(await getThroughTunnel(viaTcp, `${base}/bad-chunk`, { insecure: false, timeoutMs: 2000 })).toMatchObject({ status: 200, body: 'ready' });
      expect(await getThroughTunnel(viaTcp, `${base}/trailing-bytes`, { insecure: false, timeoutMs: 2000 })).toMatchObject({ status: 200, body: 'ready' });
    } finally {
      for (const socket of sockets) socket.destroy();
      raw.close();
    }
  });

  it('opens nothing for port 0, where curl connects nowhere (not port 80)', async () => {
    const opened: string[] = [];
    const recording: OpenTunnel = (host, to) => (opened.push(`${host}:${to}`), viaTcp(host, port));
    expect(await getThroughTunnel(recording, 'http://127.0.0.1:0/ready', { insecure: false, timeoutMs: 2000 })).toMatchObject({ status: 0 });
    expect(opened).toEqual([]);
  });

  it("leaves verified https to the host's curl: the host's trust store is not the controller's", async () => {
    await expect(getThroughTunnel(viaTcp, `https://127.0.0.1:${port}/ready`, { insecure: false, timeoutMs: 2000 })).rejects.toThrow("verified https is checked by the host's curl");
  });
});
