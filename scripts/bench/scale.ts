// The controller-scale benchmark (scripts/bench.sh --scale 1000,5000), run by bench.sh inside a private
// network namespace (unshare --net): see measureScale. Figures, not assertions.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { waitForLabHost } from '../../src/lab/boot.ts';
import { labKeyPath } from '../../src/lab/layout.ts';
import { containerInitPid, stopNspawn } from '../../src/lab/processes.ts';
import { DEFAULT_LAB_SUITE, ensureRootfs } from '../../src/lab/rootfs.ts';
import { runLocalChecked } from '../../src/local/run.ts';
import { childrenOf, describeMachine, processTreeSeconds, sampleBackground } from './machine.ts';
import { problemsOf } from './outcome.ts';
import { renderScaleTable, type ScalePoint, type ScaleResults } from './scale-report.ts';
import { PROJECT_ROOT, reportedUsage, runFleet, totalCounters } from './run-fleet.ts';

const MACHINE = 'fleet-bench-scale';
/** The smallest point, the baseline that "wall time per host stays flat" compares with. */
const BASELINE_HOSTS = 100;
/** A point may take this long per host (plus a minute) before the benchmark ends it: the run is bounded. */
const SECONDS_PER_HOST_LIMIT = 0.2;

const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: '1000,5000' },
    forks: { type: 'string' },
    // An overall limit in seconds: a point still running when it is spent is ended (and reported so).
    budget: { type: 'string' },
    json: { type: 'string', default: join(PROJECT_ROOT, 'scripts/bench/results/scale.json') },
  },
});
const counts = [...new Set([BASELINE_HOSTS, ...values.scale!.split(',').map(Number)])].sort((a, b) => a - b);
if (counts.some((count) => !Number.isInteger(count) || count < 1 || count > 60_000)) throw new Error(`bench: --scale expects host counts from 1 to 60000, got ${values.scale}`);
const forkArgs = values.forks ? ['--forks', values.forks] : [];
const budgetEndsAt = values.budget ? Date.now() + Number(values.budget) * 1000 : Infinity;
const log = (line: string) => process.stderr.write(`bench ${new Date().toISOString().slice(11, 19)}: ${line}\n`);

/** Host i answers at 127.1.0.0 + i: every loopback address reaches the one sshd listening on 0.0.0.0. */
function hostAddress(i: number): string {
  const n = (1 << 24) + (1 << 16) + i;
  return `127.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

const hostName = (i: number) => `h${String(i).padStart(5, '0')}`;

function inventoryFor(count: number, knownHosts: string, hostKeyChecking: 'strict' | 'accept-new'): string {
  const lines = [
    '# Written by scripts/bench/scale.ts: every host is a loopback address answered by the same sshd.',
    'defaults:',
    '  ssh:',
    '    user: root',
    `    identity_file: ${labKeyPath()}`,
    '    agent: false',
    '    connect_timeout: 30',
    `    host_key_checking: ${hostKeyChecking}`,
    `    known_hosts_file: ${knownHosts}`,
    'hosts:',
  ];
  for (let i = 1; i <= count; i++) lines.push(`  ${hostName(i)}: { address: ${hostAddress(i)} }`);
  return `${lines.join('\n')}\n`;
}

// A small playbook: what every host must have, cheap to read. All "hosts" share one filesystem, so the content is the same for all.
const PLAYBOOK = `name: bench-scale
tasks:
  - directory: { path: /etc/bench-scale, mode: "0755" }
  - file: { path: /etc/bench-scale/settings.conf, content: "managed by fleet (scale benchmark)\\n", mode: "0644" }
  - directory: { path: /var/lib/bench-scale, mode: "0750" }
`;

/** sshd for the simulated hosts: many concurrent logins, no PAM session per login, little logging. */
const SSHD_DROP_IN = 'MaxStartups 2000:30:4000\nUsePAM no\nLogLevel ERROR\n';

/** The container's sshd listener: a child of its init named sshd. */
function findSshd(initPid: number): number | undefined {
  return childrenOf(initPid).find((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sshd');
}

async function bootSshdContainer(work: string): Promise<{ pid: number; sshd: number }> {
  const rootfs = await ensureRootfs(log);
  await runLocalChecked('ip', ['link', 'set', 'lo', 'up']);
  const dropIn = join(work, 'sshd-bench-scale.conf');
  await writeFile(dropIn, SSHD_DROP_IN);
  const resolvConf = join(work, 'resolv.conf');
  await writeFile(resolvConf, 'nameserver 127.0.0.1\n');
  // No network option: the container shares this private namespace, so its sshd answers every 127.x.y.z.
  // CAP_NET_ADMIN (nspawn drops it without a private network) lets fleet's facts read the (empty) nftables
  // ruleset as on any host; the namespace is the benchmark's own and ends with it.
  const args = [
    '-q', '-D', rootfs, '--boot', '--register=no', '--keep-unit', '--volatile=overlay', '--console=passive', '--capability=CAP_NET_ADMIN',
    `--machine=${MACHINE}`, '--hostname=scale', `--bind-ro=${dropIn}:/etc/ssh/sshd_config.d/00-bench-scale.conf`,
    '--resolv-conf=off', `--bind-ro=${resolvConf}:/etc/resolv.conf`,
  ];
  const console = openSync(join(work, 'console.log'), 'w');
  const child = spawn('systemd-nspawn', args, { detached: true, stdio: ['ignore', console, console] });
  closeSync(console);
  child.unref();
  if (!child.pid) throw new Error('systemd-nspawn did not start');
  const pid = child.pid;
  try {
    await waitForLabHost({ name: MACHINE, index: 0, address: hostAddress(1), variant: 'default', suite: DEFAULT_LAB_SUITE, pid }, 120_000);
    const init = containerInitPid(pid);
    const sshd = init ? findSshd(init) : undefined;
    if (!init || !sshd) throw new Error('no sshd listener in the container');
    return { pid, sshd };
  } catch (error) {
    await stopNspawn(pid, MACHINE);
    throw error;
  }
}

async function measureScale(): Promise<ScaleResults> {
  const work = await mkdtemp(join(tmpdir(), 'fleet-bench-scale-'));
  const playbook = join(work, 'bench-scale.yaml');
  await writeFile(playbook, PLAYBOOK);
  const knownHosts = join(work, 'known_hosts');
  log('booting the container whose sshd answers every simulated host');
  const container = await bootSshdContainer(work);
  try {
    // The first contact records the host key; the simulated fleet is one that fleet has met before.
    const seed = join(work, 'seed.yaml');
    await writeFile(seed, inventoryFor(1, knownHosts, 'accept-new'));
    const seeded = await runFleet(['apply', seed, playbook, '--json'], { timeoutMs: 120_000 });
    if (seeded.exitCode !== 0) throw new Error(`seeding the simulated hosts failed (exit ${seeded.exitCode}): ${seeded.stderrTail}`);
    const [, keyType, key] = (await readFile(knownHosts, 'utf8')).trim().split(/\s+/);

    const points: ScalePoint[] = [];
    for (const count of counts) {
      const inventory = join(work, `inventory-${count}.yaml`);
      await writeFile(inventory, inventoryFor(count, knownHosts, 'strict'));
      // A fleet of N hosts that fleet has met before: known_hosts holds those N.
      await writeFile(knownHosts, Array.from({ length: count }, (_, i) => `${hostAddress(i + 1)} ${keyType} ${key}\n`).join(''));
      const before = await sampleBackground(5);
      const sshdBefore = processTreeSeconds(container.sshd);
      log(`fleet check on ${count} hosts`);
      const run = await runFleet(['check', inventory, playbook, '--json', ...forkArgs], { timeoutMs: Math.max(1000, Math.min((60 + count * SECONDS_PER_HOST_LIMIT) * 1000, budgetEndsAt - Date.now())) });
      const sshdCpuSeconds = processTreeSeconds(container.sshd) - sshdBefore;
      const after = await sampleBackground(5);
      const backgroundCores = (before.coresBusy + after.coresBusy) / 2;
      const counted = totalCounters(run.counters);
      const report = run.report as { hosts?: { state: string }[] } | undefined;
      const point: ScalePoint = {
        hosts: count,
        wallSeconds: run.wallSeconds,
        wallPerHostMs: (run.wallSeconds / count) * 1000,
        fleetCpuSeconds: run.fleetCpuSeconds,
        fleetCpuPerHostMs: (run.fleetCpuSeconds / count) * 1000,
        peakRssMB: run.peakRssMB,
        sshdCpuSeconds,
        machineCpuSeconds: run.machineCpuSeconds,
        backgroundCores,
        otherCpuSeconds: run.machineCpuSeconds - backgroundCores * run.wallSeconds - run.fleetCpuSeconds - sshdCpuSeconds,
        inSync: report?.hosts?.filter((host) => host.state === 'in-sync').length ?? 0,
        sessionsPerHost: counted.sessions / count,
        commandsPerHost: (reportedUsage(run.report)?.commands ?? counted.commands) / count,
        backgroundHigh: Math.max(before.share, after.share) > 0.2,
        problems: problemsOf('scale-check', run, count),
        timedOut: run.timedOut,
      };
      points.push(point);
      log(`${count} hosts: ${point.wallSeconds.toFixed(1)} s, ${point.wallPerHostMs.toFixed(1)} ms/host, fleet CPU ${point.fleetCpuSeconds.toFixed(1)} s, sshd CPU ${sshdCpuSeconds.toFixed(1)} s, RSS ${point.peakRssMB.toFixed(0)} MB${point.problems.length ? `; problems: ${point.problems.join('; ')}` : ''}`);
      // Written after every point, so an interrupted run still leaves what it measured.
      await saveResults(resultsOf(points));
      // A point that did not finish in its time makes the larger ones pointless.
      if (run.timedOut) break;
    }
    return resultsOf(points);
  } finally {
    await stopNspawn(container.pid, MACHINE);
    await rm(work, { recursive: true, force: true });
  }
}

function resultsOf(points: ScalePoint[]): ScaleResults {
  return {
    kind: 'scale',
    finishedAt: new Date().toISOString(),
    commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim(),
    machine: describeMachine(),
    ...(values.forks ? { forks: Number(values.forks) } : {}),
    playbookTasks: 3,
    secondsPerHostLimit: SECONDS_PER_HOST_LIMIT,
    points,
  };
}

async function saveResults(results: ScaleResults): Promise<void> {
  await mkdir(dirname(values.json!), { recursive: true });
  await writeFile(values.json!, `${JSON.stringify(results, null, 2)}\n`);
}

const results = await measureScale();
process.stdout.write(`${renderScaleTable(results, 'text')}\nJSON: ${values.json}\n`);
