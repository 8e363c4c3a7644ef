import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors.ts';
import { enableLabPrometheus, labUnavailableReason, readLabState, startLab, stopLab, writeLabState, type LabHostSpec } from '../../lab/lab.ts';
import { isOurNspawn } from '../../lab/processes.ts';
import { LAB_GATEWAY, LAB_UP_INDEXES, labDir } from '../../lab/layout.ts';
import type { LabSuite } from '../../lab/rootfs.ts';
import { LAB_MIRROR_PORT, startLabMirror, stopLabMirror } from '../../lab/mirror-process.ts';
import { color } from '../colors.ts';
import { formatTable } from '../table.ts';

// The monitor takes the first address of `fleet lab up`'s range and the hosts the rest, never the test suite's.
const MONITOR = 'monitor';
const MONITOR_INDEX = LAB_UP_INDEXES.first;
const FIRST_INDEX = MONITOR_INDEX + 1;
const MAX_HOSTS = LAB_UP_INDEXES.last - FIRST_INDEX + 1;
const LAB_DEBIAN_RELEASES: Record<string, LabSuite> = { '12': 'bookworm', '13': 'trixie' };

export function registerLab(program: Command): void {
  const lab = program
    .command('lab')
    .summary('boot or stop a local lab of real Debian hosts (root, systemd-nspawn)')
    .description(
      'A lab of real Debian 12 (or 13) hosts with systemd and sshd, booted with systemd-nspawn on the bridge fleetlab0 (10.213.0.0/24). ' +
        'Try fleet there before pointing it at production. Needs root, debootstrap and systemd-container; the first run builds ' +
        'the base image (about a minute) and caches it in $FLEET_LAB_DIR (default /var/lib/fleet-lab).\n\n' +
        'Example:\n  fleet lab up 3 --inventory lab.yaml && fleet ping lab.yaml && fleet lab down',
    );
  lab
    .command('up')
    .description('boot N hosts (default 3) plus a monitor host running Prometheus, serve a release mirror, and write an inventory that reaches them')
    .argument('[count]', 'number of hosts', '3')
    .option('--inventory <file>', 'write an inventory for the lab hosts here', 'lab-inventory.yaml')
    .option('--debian <release>', 'Debian release of the hosts: 12 (bookworm) or 13 (trixie); the monitor stays on 12', '12')
    .action(async (countText: string, options: { inventory: string; debian: string }) => {
      const suite = LAB_DEBIAN_RELEASES[options.debian];
      if (!suite) throw new UsageError(`lab up --debian ${options.debian}: expected 12 or 13`);
      const count = Number(countText);
      if (!Number.isInteger(count) || count < 1 || count > MAX_HOSTS) {
        throw new UsageError(`lab up ${countText}: expected a number of hosts from 1 to ${MAX_HOSTS} (addresses .${FIRST_INDEX} to .${LAB_UP_INDEXES.last}; the test suite uses the rest)`);
      }
      const reason = await labUnavailableReason();
      if (reason) throw new UsageError(`cannot run the lab here: ${reason}`);
      const previous = await readLabState();
      const running = previous.hosts.filter((host) => isOurNspawn(host.pid, host.name));
      if (running.length > 0 && previous.complete) throw new UsageError(`the lab is already up (${running.map((host) => host.name).join(', ')}); run fleet lab down first`);
      if (running.length > 0) {
        // An aborted `lab up` left these booting: stop them before their addresses are handed out again.
        await stopLab(running);
        process.stderr.write(`stopped ${running.length} host(s) left by an aborted fleet lab up: ${running.map((host) => host.name).join(', ')}\n`);
      }
      await writeLabState({ hosts: [], complete: false });
      const specs: LabHostSpec[] = [{ name: MONITOR, index: MONITOR_INDEX }, ...Array.from({ length: count }, (_, i) => ({ name: `lab${i + 1}`, index: FIRST_INDEX + i, suite }))];
      const started = Date.now();
      // Every boot reuses the lab's addresses and a rebuilt image brings new host keys: start afresh.
      await rm(join(labDir(), 'known_hosts'), { force: true });
      const hosts = await startLab(specs, (line) => process.stderr.write(`${line}\n`), (booted) => writeLabState({ hosts: [...booted], complete: false }));
      await writeLabState({ hosts, complete: true });
      const monitor = hosts.find((host) => host.name === MONITOR)!;
      await enableLabPrometheus(monitor);
      const mirrorUrl = await startLabMirror();
      // Loaded when the command runs, not at start-up (see main.ts).
      const { renderLabInventory } = await import('../../lab/lab-inventory.ts');
      await writeFile(options.inventory, renderLabInventory(hosts, { mirrorUrl, prometheusServers: [MONITOR] }));
      process.stdout.write(
        `${count} lab host(s) and the monitor up in ${((Date.now() - started) / 1000).toFixed(1)}s; inventory written to ${options.inventory}\n` +
          `Prometheus: http://${monitor.address}:9090 (Debian's prometheus package on ${MONITOR})\n`,
      );
    });
  lab
    .command('down')
    .description('stop every host that fleet lab up started')
    .action(async () => {
      const { hosts } = await readLabState();
      await stopLab(hosts);
      await stopLabMirror();
      await writeLabState({ hosts: [], complete: true });
      process.stdout.write(`${hosts.length} lab host(s) stopped\n`);
    });
  lab
    .command('serve-mirror', { hidden: true })
    .description('serve the lab release mirror (started by lab up)')
    .argument('<dir>')
    .option('--port <port>', 'port on the bridge', String(LAB_MIRROR_PORT))
    .action(async (dir: string, options: { port: string }) => {
      // Loaded when the command runs, not at start-up (see main.ts).
      const { serveDirectory } = await import('../../lab/mirror.ts');
      const { url } = await serveDirectory(dir, LAB_GATEWAY, Number(options.port));
      process.stdout.write(`serving ${dir} at ${url}\n`);
    });
  lab
    .command('status')
    .description('list the lab hosts and whether they still run')
    .action(async () => {
      const rows = (await readLabState()).hosts.map((host) => [host.name, host.address, String(host.pid), isOurNspawn(host.pid, host.name) ? color.green('running') : color.red('gone')]);
      process.stdout.write(rows.length ? `${formatTable([['host', 'address', 'pid', 'state'].map(color.dim), ...rows])}\n` : 'the lab is down\n');
    });
}
