import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { LAB_GATEWAY } from '../../src/lab/layout.ts';
import { buildLabMirror, serveDirectory } from '../../src/lab/mirror.ts';
import { labUnavailable } from './lab-hosts.ts';

/** A static file server on the lab bridge, standing in for GitHub releases; lab hosts reach it too. */
export async function startMirror(root: string): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const { server, url, requests } = await serveDirectory(root, LAB_GATEWAY, 0);
  return { url, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/**
 * Builds the lab's release mirror (Debian's node_exporter, the Alloy stand-in) in a temporary folder
 * and serves it on the bridge for the test file; `env` points fleet's artifact cache at a fresh folder.
 */
export function useLabMirror(): { url: string; root: string; requests: string[]; env: Record<string, string> } {
  const state = { url: '', root: '', requests: [] as string[], env: {} as Record<string, string> };
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    if (labUnavailable) return;
    const root = await mkdtemp(join(tmpdir(), 'fleet-lab-mirror-'));
    await buildLabMirror(root);
    const mirror = await startMirror(root);
    close = mirror.close;
    state.url = mirror.url;
    state.root = root;
    state.requests = mirror.requests;
    state.env = { FLEET_CACHE_DIR: join(root, '.cache') };
  });
  afterAll(async () => close?.());
  return state;
}
