import { LAB_GATEWAY } from '../../src/lab/layout.ts';
import { serveDirectory } from '../../src/lab/mirror.ts';

/** A static file server on the lab bridge, standing in for GitHub releases; lab hosts reach it too. */
export async function startMirror(root: string): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const { server, url, requests } = await serveDirectory(root, LAB_GATEWAY, 0);
  return { url, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
