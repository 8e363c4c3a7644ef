import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, normalize } from 'node:path';
import { LAB_GATEWAY } from '../../src/lab/layout.ts';

/** A static file server on the lab bridge, standing in for GitHub releases; lab hosts reach it too. */
export async function startMirror(root: string): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
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
  await new Promise<void>((resolve) => server.listen(0, LAB_GATEWAY, resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://${LAB_GATEWAY}:${port}`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
