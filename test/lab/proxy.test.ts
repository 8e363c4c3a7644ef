import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LAB_GATEWAY } from '../../src/lab/layout.ts';
import { requireTool } from '../helpers/required-tool.ts';
import { runFleet } from '../helpers/run-fleet.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { labUnavailable, onLabHost, useLabHosts, writeLabInventory } from './lab-hosts.ts';
import { useLabMirror } from './mirror.ts';

interface Report {
  hosts: { host: string; status: string; error?: { message: string } }[];
}

/** A port free on the bridge right now (tinyproxy takes no port 0). */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, LAB_GATEWAY);
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Debian's tinyproxy on the lab bridge, with its own config and log; started and ended by this file only. */
class Tinyproxy {
  private child?: ChildProcess;
  constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://${LAB_GATEWAY}:${this.port}`;
  }
  get log(): string {
    return join(this.dir, 'tinyproxy.log');
  }

  /** `basicAuth` makes the proxy refuse requests without that user and password (tinyproxy's BasicAuth). */
  async start(basicAuth?: { user: string; password: string }): Promise<void> {
    const config = join(this.dir, 'tinyproxy.conf');
    const auth = basicAuth ? [`BasicAuth ${basicAuth.user} ${basicAuth.password}`] : [];
    await writeFile(config, [`User nobody`, `Group nogroup`, `Port ${this.port}`, `Listen ${LAB_GATEWAY}`, 'Timeout 60', `LogFile "${this.log}"`, 'LogLevel Info', 'MaxClients 50', 'DisableViaHeader Yes', ...auth, ''].join('\n'));
    this.child = spawn('tinyproxy', ['-d', '-c', config], { stdio: 'ignore' });
    const logged = () => readFile(this.log, 'utf8').catch(() => '');
    const before = (await logged()).split('Accepting connections').length;
    await waitFor('tinyproxy to listen', async () => (await logged()).split('Accepting connections').length > before, 10_000);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  }

  /** The requests tinyproxy logged, with the address of the client that sent each. */
  async requests(): Promise<{ client: string; line: string }[]> {
    const clients = new Map<string, string>();
    const requests: { client: string; line: string }[] = [];
    for (const line of (await readFile(this.log, 'utf8')).split('\n')) {
      const connect = /Connect \(file descriptor (\d+)\): (\S+)/.exec(line);
      if (connect) clients.set(connect[1]!, connect[2]!);
      const request = /Request \(file descriptor (\d+)\): (.*)$/.exec(line);
      if (request) requests.push({ client: clients.get(request[1]!) ?? '?', line: request[2]! });
    }
    return requests;
  }
}

// Proxy variables from the machine running the tests must not leak into the runs.
const NO_PROXY_ENV = { http_proxy: '', HTTP_PROXY: '', https_proxy: '', HTTPS_PROXY: '', no_proxy: '', NO_PROXY: '' };

describe.skipIf(labUnavailable)('artifact downloads through an HTTP proxy (tinyproxy)', () => {
  const hosts = useLabHosts([
    { name: 'proxy-ctl', index: 157 },
    { name: 'proxy-host', index: 158 },
  ]);
  const mirror = useLabMirror();
  let proxy: Tinyproxy;
  afterAll(async () => proxy?.stop());

  const setUp = async (host: 0 | 1, vars: Record<string, unknown> = {}) => {
    const { dir, file } = await writeLabInventory([hosts[host]!], '', { mirrorUrl: mirror.url, vars });
    // An empty artifact cache for every run: each must download.
    return { file, cache: join(dir, `cache-${Math.random().toString(36).slice(2)}`) };
  };
  const apply = async (file: string, env: Record<string, string>) => {
    const run = await runFleet(['apply', file, 'node-exporter', '--no-register', '--json'], { ...NO_PROXY_ENV, ...env });
    return { ...run, report: JSON.parse(run.stdout) as Report };
  };
  const archiveAndChecksums = (requests: { client: string; line: string }[]) => requests.filter(({ line }) => line.startsWith(`GET ${mirror.url}/`) && /(\.tar\.gz|\/sha256sums\.txt) HTTP/.test(line));

  it('the controller downloads through HTTP_PROXY: the proxy logs the GETs of the archive and its checksums', async (context) => {
    await requireTool(context, 'tinyproxy', 'apt-get install tinyproxy; scripts/setup.sh does');
    const dir = await mkdtemp(join(tmpdir(), 'fleet-proxy-'));
    await chmod(dir, 0o777); // tinyproxy writes its log as nobody
    proxy = new Tinyproxy(dir, await freePort());
    await proxy.start();
    const { file, cache } = await setUp(0);
    const run = await apply(file, { FLEET_CACHE_DIR: cache, HTTP_PROXY: proxy.url });
    expect(run.code, `${run.stdout}${run.stderr}`).toBe(0);
    expect(run.report.hosts[0]!.status).toBe('changed');
    const proxied = archiveAndChecksums(await proxy.requests());
    // A download that tinyproxy cut short is tried again (src/artifacts/http-get.ts): the same GET may appear twice.
    const files = new Set(proxied.map(({ line }) => line.replace(/^GET \S+\/([^/ ]+) .*$/, '$1')));
    expect([...files].sort()).toEqual([expect.stringMatching(/^node_exporter-.*\.linux-amd64\.tar\.gz$/), 'sha256sums.txt']);
    expect(proxied.every(({ client }) => client === LAB_GATEWAY)).toBe(true);
  });

  it('with the proxy stopped the same download fails naming the proxy; NO_PROXY covering the mirror goes around it', async (context) => {
    await requireTool(context, 'tinyproxy', 'apt-get install tinyproxy; scripts/setup.sh does');
    await proxy.stop();
    const { file, cache } = await setUp(0);
    const failed = await apply(file, { FLEET_CACHE_DIR: cache, HTTP_PROXY: proxy.url });
    expect(failed.code).not.toBe(0);
    expect(failed.report.hosts[0]!.error?.message).toContain(`ECONNREFUSED ${LAB_GATEWAY}:${proxy.port} (through the proxy ${proxy.url} (HTTP_PROXY))`);

    const around = await apply(file, { FLEET_CACHE_DIR: cache, HTTP_PROXY: proxy.url, NO_PROXY: `localhost,${LAB_GATEWAY.replace(/\d+$/, '0')}/24` });
    expect(around.code, around.stderr).toBe(0);
    expect(around.report.hosts[0]!.status).toBe('ok');
  });

  it('artifacts.fetch: host hands the proxy variables to the host\'s curl: the proxy logs requests from the host', async (context) => {
    await requireTool(context, 'tinyproxy', 'apt-get install tinyproxy; scripts/setup.sh does');
    await proxy.start();
    const { file, cache } = await setUp(1, { artifacts: { mirror: mirror.url, fetch: 'host' } });
    const run = await apply(file, { FLEET_CACHE_DIR: cache, HTTP_PROXY: proxy.url });
    expect(run.code, run.stderr).toBe(0);
    expect(run.report.hosts[0]!.status).toBe('changed');
    const fromHost = (await proxy.requests()).filter(({ client }) => client === hosts[1]!.address);
    expect(fromHost.map(({ line }) => line)).toEqual([expect.stringMatching(new RegExp(`^GET ${mirror.url}/\\S+\\.linux-amd64\\.tar\\.gz HTTP/1\\.1$`))]);
  });

  it('a proxy password in HTTP_PROXY gets both downloads through, and appears in no output, -vvv line or --log entry', async (context) => {
    await requireTool(context, 'tinyproxy', 'apt-get install tinyproxy; scripts/setup.sh does');
    const password = 'proxy-s3cret-pw';
    await proxy.stop();
    await proxy.start({ user: 'fleet', password });
    const withAuth = `http://fleet:${password}@${LAB_GATEWAY}:${proxy.port}`;
    const refused = await apply((await setUp(0)).file, { FLEET_CACHE_DIR: (await setUp(0)).cache, HTTP_PROXY: proxy.url });
    expect(refused.report.hosts[0]!.error?.message).toContain(`failed: Proxy Authentication Required (407) (through the proxy ${proxy.url} (HTTP_PROXY))`);

    // The host's copy is removed, so the host downloads again, with the password in its curl's environment.
    await onLabHost(hosts[1]!, 'rm -f /usr/local/bin/node_exporter');
    for (const [host, vars] of [[0, {}], [1, { artifacts: { mirror: mirror.url, fetch: 'host' } }]] as const) {
      const { file, cache } = await setUp(host, vars);
      const log = join(proxy.dir, `run-${host}.jsonl`);
      const run = await runFleet(['apply', file, 'node-exporter', '--no-register', '--json', '-vvv', '--log', log], { ...NO_PROXY_ENV, FLEET_CACHE_DIR: cache, HTTP_PROXY: withAuth });
      expect(run.code, `${run.stdout}${run.stderr}`).toBe(0);
      for (const output of [run.stdout, run.stderr, await readFile(log, 'utf8')]) expect(output).not.toContain(password);
    }
    expect(await onLabHost(hosts[1]!, 'test -x /usr/local/bin/node_exporter && echo installed')).toBe('installed\n');
    expect((await proxy.requests()).filter(({ client }) => client === hosts[1]!.address).length).toBeGreaterThanOrEqual(1);
  });
});
