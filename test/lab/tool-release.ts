import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { LabHost } from '../../src/lab/boot.ts';
import { labArch } from '../../src/lab/mirror.ts';
import { packRelease } from '../../src/lab/release-pack.ts';
import { runFleet } from '../helpers/run-fleet.ts';
import { labUnavailable, writeLabInventory } from './lab-hosts.ts';
import { startMirror } from './mirror.ts';

/** A tiny HTTP daemon in Perl (perl-base is on every Debian host) playing a released binary. */
export const toolScript = (version: string) => `#!/usr/bin/perl
# fleet test tool ${version}
use IO::Socket::INET;
if (($ARGV[0] // '') eq '--version') { print "tool ${version}\\n"; exit 0 }
my $server = IO::Socket::INET->new(LocalPort => $ARGV[0] || 9300, Listen => 5, ReuseAddr => 1) or die "cannot listen: $!";
while (my $client = $server->accept) { my $line = <$client>; print $client "HTTP/1.0 200 OK\\r\\n\\r\\ntool ${version}\\n"; close $client }
`;
/** The version every test may use as "a release that crashes at start". */
export const BROKEN_VERSION = '6.6.6';

// Each host's version comes from vars.versions.HOSTNAME, so one run can roll different versions.
const version = '{{lookup vars.versions host.name}}';
const playbook = (mirror: string) => `tasks:
  - artifact:
      name: tool
      url: "${mirror}/tool/v${version}/tool-${version}.linux-{arch}.tar.gz"
      checksums_url: "${mirror}/tool/v${version}/sha256sums.txt"
      member: "tool-${version}.linux-{arch}/tool"
      dest: /usr/local/bin/fleet-test-tool
    notify: [restart fleet-test-tool]
  - unit: { name: fleet-test-tool.service, src: tool.service.hbs }
    notify: [restart fleet-test-tool]
  - service: { name: fleet-test-tool, ports: [9300] }
  - http_check: { url: "http://127.0.0.1:9300/", body: "tool ${version}", timeout: 10, service: fleet-test-tool }
`;
const UNIT = `[Unit]
Description=fleet test tool
[Service]
ExecStart=/usr/local/bin/fleet-test-tool 9300
Restart=on-failure
RestartSec=1
[Install]
WantedBy=multi-user.target
`;

export interface Report {
  notAttempted?: string[];
  hosts: { host: string; status: string; durationMs: number; error?: { kind?: string; message: string; step?: string }; result?: { changes: { resource: string; action: string; reason: string }[] } }[];
}

/**
 * A release mirror of the test tool (versions 1.0.0 and 2.0.0, and BROKEN_VERSION that exits at
 * start) for one test file, and a `tool` playbook next to an inventory of the given hosts.
 */
export function useToolRelease() {
  const state = { mirrorUrl: '', root: '', cacheDir: '' };
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    if (labUnavailable) return;
    state.root = await mkdtemp(join(tmpdir(), 'fleet-tool-mirror-'));
    state.cacheDir = join(state.root, '.cache');
    const mirror = await startMirror(state.root);
    close = mirror.close;
    state.mirrorUrl = mirror.url;
    for (const release of ['1.0.0', '2.0.0', BROKEN_VERSION]) await publishTool(state.root, release, release === BROKEN_VERSION ? '#!/bin/sh\necho "this build crashes at start" >&2\nexit 3\n' : toolScript(release));
  });
  afterAll(async () => close?.());

  async function inventory(hosts: readonly LabHost[], extra = ''): Promise<string> {
    const { dir, file } = await writeLabInventory(hosts, extra);
    await mkdir(join(dir, 'playbooks'));
    await mkdir(join(dir, 'templates'));
    await writeFile(join(dir, 'playbooks', 'tool.yaml'), playbook(state.mirrorUrl));
    await writeFile(join(dir, 'templates', 'tool.service.hbs'), UNIT);
    return file;
  }

  /** `fleet apply FILE tool --json` with each host's version; more arguments after. */
  async function apply(file: string, versions: Record<string, string>, ...args: string[]) {
    const vars = Object.entries(versions).flatMap(([host, release]) => ['-e', `versions.${host}=${release}`]);
    const run = await runFleet(['apply', file, 'tool', '--json', ...vars, ...args], { FLEET_CACHE_DIR: state.cacheDir });
    let report: Report;
    try {
      report = JSON.parse(run.stdout) as Report;
    } catch {
      throw new Error(`fleet printed no JSON (exit ${run.code}): ${run.stderr}`);
    }
    return { code: run.code, report, stderr: run.stderr };
  }

  return { state, inventory, apply };
}

/** Publishes one release of the tool in the mirror, as upstream lays them out. */
export async function publishTool(root: string, release: string, content: string | Buffer): Promise<string> {
  const arch = labArch();
  return packRelease(join(root, 'tool', `v${release}`), `tool-${release}.linux-${arch}.tar.gz`, { [`tool-${release}.linux-${arch}/tool`]: { content } }, 'sha256sums.txt');
}
