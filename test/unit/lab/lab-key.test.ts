import { readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureLabKey } from '../../../src/lab/rootfs.ts';

describe('the lab key', () => {
  const saved = process.env.FLEET_LAB_DIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.FLEET_LAB_DIR;
    else process.env.FLEET_LAB_DIR = saved;
  });

  it('is created once when both images ask for it at the same time, on a fresh machine', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleet-lab-key-'));
    process.env.FLEET_LAB_DIR = dir;
    try {
      const [first, second] = await Promise.all([ensureLabKey(), ensureLabKey()]);
      expect(first).toBe(join(dir, 'id_ed25519'));
      expect(second).toBe(first);
      const publicKey = await readFile(`${first}.pub`, 'utf8');
      expect(publicKey).toMatch(/^ssh-ed25519 \S+ fleet-lab\n$/);
      // The pair matches: the public half of the private key is the file beside it.
      expect(await ensureLabKey()).toBe(first);
      expect(await readFile(`${first}.pub`, 'utf8')).toBe(publicKey);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
