import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, normalize } from 'node:path';
import { goArch } from '../facts/host-facts.ts';
import { PACKAGE_ROOT } from '../package-root.ts';
import { packRelease } from './release-pack.ts';

/** Debian's real Node Exporter, packed as the upstream release; tests pin its version. */
export const LAB_NODE_EXPORTER_VERSION = '1.5.0';
const DEBIAN_NODE_EXPORTER = '/usr/bin/prometheus-node-exporter';
/** Versions of the Alloy stand-in the lab mirror offers (two, to test an upgrade). */
export const LAB_ALLOY_VERSIONS = ['0.1.0-standin', '0.2.0-standin'] as const;
export const ALLOY_STANDIN = join(PACKAGE_ROOT, 'test', 'fixtures', 'alloy-standin', 'alloy');

/** The architecture of this machine, which is also the lab hosts' architecture. */
export function labArch(): string {
  return goArch(process.arch === 'x64' ? 'x86_64' : process.arch);
}

/**
 * Fills `root` with GitHub's release layout for the lab: Debian's node_exporter binary as
 * node_exporter-1.5.0.linux-ARCH.tar.gz with sha256sums.txt, and the Alloy stand-in as
 * alloy-linux-ARCH.zip with SHA256SUMS. Point `artifacts.mirror` at a server of this folder.
 */
export async function buildLabMirror(root: string): Promise<void> {
  if (!existsSync(DEBIAN_NODE_EXPORTER)) throw new Error(`${DEBIAN_NODE_EXPORTER} is missing: apt-get install -y prometheus-node-exporter`);
  const arch = labArch();
  const neVersion = LAB_NODE_EXPORTER_VERSION;
  await packRelease(
    join(root, 'prometheus/node_exporter/releases/download', `v${neVersion}`),
    `node_exporter-${neVersion}.linux-${arch}.tar.gz`,
    {
      [`node_exporter-${neVersion}.linux-${arch}/node_exporter`]: { content: await readFile(DEBIAN_NODE_EXPORTER) },
      [`node_exporter-${neVersion}.linux-${arch}/LICENSE`]: { content: 'Apache License 2.0 (Debian prometheus-node-exporter)\n', mode: 0o644 },
      [`node_exporter-${neVersion}.linux-${arch}/NOTICE`]: { content: 'Packed by fleet lab from Debian prometheus-node-exporter\n', mode: 0o644 },
    },
    'sha256sums.txt',
  );
  const standin = await readFile(ALLOY_STANDIN, 'utf8');
  for (const version of LAB_ALLOY_VERSIONS) {
    await packRelease(
      join(root, 'grafana/alloy/releases/download', `v${version}`),
      `alloy-linux-${arch}.zip`,
      { [`alloy-linux-${arch}`]: { content: standin.replace('@VERSION@', version) } },
      'SHA256SUMS',
    );
  }
}

/** A static file server for the mirror; lab hosts reach it on the bridge address. */
export async function serveDirectory(root: string, address: string, port: number): Promise<{ server: Server; url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname));
    requests.push(path);
    const file = join(root, path);
    if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404).end('not found\n');
      return;
    }
    response.writeHead(200, { 'content-length': statSync(file).size });
    createReadStream(file).pipe(response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, resolve);
  });
  return { server, url: `http://${address}:${(server.address() as { port: number }).port}`, requests };
}
