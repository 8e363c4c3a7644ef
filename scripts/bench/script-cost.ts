/**
 * What each part of a facts round trip costs the hosts, as the whole machine's CPU (figures, not a test).
 *
 *   node --import tsx scripts/bench/script-cost.ts LAB_INVENTORY FLEET_LOG_JSONL [--rounds 10]
 *
 * Takes the largest `gather facts` command of a `fleet check --log FILE` run, splits it at its part
 * separators, and runs each part (then the whole script) `rounds` times in one SSH session on every
 * host of the lab inventory at once. Prints the machine's busy CPU per host per round, an empty part's
 * first: what a program on the host makes systemd, an exporter or sshd do is in it, which `times` on the
 * host misses. Run it on a quiet machine, with the lab's scrapes slowed (the benchmark's 1m).
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { NodeSSH } from 'node-ssh';
import { ignoreHostKeysNotice } from '../../src/connection/host-keys-notice.ts';
import { machineBusySeconds } from './machine.ts';

const [inventoryFile, logFile] = process.argv.slice(2).filter((arg, index, all) => !arg.startsWith('--') && all[index - 1] !== '--rounds');
const roundsAt = process.argv.indexOf('--rounds');
const rounds = roundsAt > 0 ? Number(process.argv[roundsAt + 1]) : 10;
if (!inventoryFile || !logFile || !(rounds > 0)) {
  console.error('usage: script-cost.ts LAB_INVENTORY FLEET_LOG_JSONL [--rounds N]');
  process.exit(2);
}

interface LabInventory {
  defaults: { ssh: { user: string; identity_file: string } };
  groups: Record<string, { hosts: Record<string, { address: string }> }>;
}
const inventory = parse(readFileSync(inventoryFile, 'utf8')) as LabInventory;
const addresses = Object.values(inventory.groups).flatMap((group) => Object.values(group.hosts).map((host) => host.address));
const privateKey = readFileSync(inventory.defaults.ssh.identity_file, 'utf8');

const commands = readFileSync(logFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { name?: string; command?: string });
const script = commands.filter((entry) => entry.name === 'gather facts' && entry.command).map((entry) => entry.command!).sort((a, b) => b.length - a.length)[0];
if (!script) throw new Error(`${logFile}: no "gather facts" command (run fleet check with --log)`);
const parts = script.split(/\n(?=printf '\\n__fleet_part_)/);

/** Busy CPU of the machine per host and round, for `command` run `rounds` times in one session on every host. */
async function cost(command: string): Promise<number> {
  const loop = `for i in $(seq ${rounds}); do ( ${command}\n) >/dev/null 2>&1 </dev/null; done`;
  const before = machineBusySeconds();
  await Promise.all(
    addresses.map(async (host) => {
      const ssh = new NodeSSH();
      const connecting = ssh.connect({ host, username: inventory.defaults.ssh.user, privateKey, readyTimeout: 120_000 });
      if (ssh.connection) ignoreHostKeysNotice(ssh.connection);
      await connecting;
      await ssh.execCommand(loop);
      ssh.dispose();
    }),
  );
  return ((machineBusySeconds() - before) / addresses.length / rounds) * 1000;
}

/** The median of five measurements: one slow scrape or cron job moves one of them, not the figure. */
async function median(command: string): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) samples.push(await cost(command));
  return samples.sort((a, b) => a - b)[2]!;
}

console.log(`${addresses.length} hosts, ${rounds} rounds in one session each; ms of the machine's CPU per host and round`);
const empty = await median('true');
console.log(`${empty.toFixed(1).padStart(6)}  an empty part (the login spread over the rounds, the loop, a subshell)`);
for (const part of parts) {
  const label = part.replace(/^printf [^;]*; /, '').replace(/\s+/g, ' ').slice(0, 90);
  console.log(`${((await median(part)) - empty).toFixed(1).padStart(6)}  ${label}`);
}
console.log(`${((await median(script)) - empty).toFixed(1).padStart(6)}  the whole script`);
