import { readFile } from 'node:fs/promises';
import { NodeSSH } from 'node-ssh';
import { ignoreHostKeysNotice } from '../../src/connection/host-keys-notice.ts';
import { machineBusySeconds } from './machine.ts';

export interface FloorRun {
  wallSeconds: number;
  /** This process's CPU during the logins (the SSH client side of the floor). */
  clientCpuSeconds: number;
  machineCpuSeconds: number;
  failed: string[];
}

/**
 * The floor: what SSH itself costs. Connects to every host at once with the library fleet uses
 * (node-ssh over ssh2), runs `true`, closes. Process start-up is not included; fleet's figures include it.
 * Like fleet, it does not ask the host to prove the host keys it announces after login (host-keys-notice.ts):
 * the floor is the cheapest login this library makes, not a cost fleet avoids and the floor pays.
 */
export async function measureFloor(addresses: readonly string[], keyFile: string, user = 'root'): Promise<FloorRun> {
  const privateKey = await readFile(keyFile, 'utf8');
  const failed: string[] = [];
  const cpuBefore = process.cpuUsage();
  const busyBefore = machineBusySeconds();
  const started = performance.now();
  await Promise.all(
    addresses.map(async (host) => {
      const ssh = new NodeSSH();
      try {
        const connecting = ssh.connect({ host, username: user, privateKey, readyTimeout: 120_000 });
        if (ssh.connection) ignoreHostKeysNotice(ssh.connection);
        await connecting;
        const result = await ssh.execCommand('true');
        if (result.code !== 0) failed.push(`${host}: exit ${result.code}`);
      } catch (error) {
        failed.push(`${host}: ${(error as Error).message}`);
      } finally {
        ssh.dispose();
      }
    }),
  );
  const wallSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return { wallSeconds, clientCpuSeconds: (cpu.user + cpu.system) / 1e6, machineCpuSeconds: machineBusySeconds() - busyBefore, failed };
}
