import type { FactRequest } from '../resources/types.ts';
import { detectFirewall, FIREWALL_FACTS, type FirewallState } from '../firewall/detect.ts';
import { osFamily, packageManagerOf, type OsFamily, type PackageManager } from './os-family.ts';

/** What playbooks may branch on (`when:`) and what resources need to pick an archive or a firewall. */
export interface HostFacts {
  /** os-release's ID, VERSION_ID and ID_LIKE, and the family they make (debian, redhat, suse, alpine). */
  os: { id: string; version: string; like: string[]; family: OsFamily };
  /** Chosen from the family: apt, dnf, zypper, apk, or none. */
  packageManager: PackageManager;
  /** Go's name for the CPU, as release assets use it: amd64, arm64, armv7, armv6, armv5, 386, riscv64. */
  arch: string;
  /** `uname -m`, as the kernel says it. */
  machine: string;
  init: 'systemd' | 'other';
  firewall: FirewallState;
}

// `uname -m` to Go's names. armv8l is a 32-bit userland on a 64-bit CPU: it runs armv7 binaries.
const GO_ARCH: Record<string, string> = {
  x86_64: 'amd64', amd64: 'amd64', aarch64: 'arm64', arm64: 'arm64', armv8l: 'armv7', armv7l: 'armv7', armv6l: 'armv6', armv5tel: 'armv5',
  i686: '386', i386: '386', ppc64le: 'ppc64le', s390x: 's390x', riscv64: 'riscv64',
};

export function goArch(machine: string): string {
  return GO_ARCH[machine] ?? machine;
}

export const HOST_FACTS: FactRequest[] = [
  // Sourced in a subshell: os-release is the host's file, and may set anything.
  { key: 'host:os', command: '. /etc/os-release 2>/dev/null; echo "${ID:-unknown}|${VERSION_ID:-}|${ID_LIKE:-}"' },
  { key: 'host:machine', command: 'uname -m', sharesShell: true },
  { key: 'host:init', command: '[ -d /run/systemd/system ] && echo systemd || echo other', sharesShell: true },
  ...FIREWALL_FACTS,
];

export function parseHostFacts(facts: ReadonlyMap<string, string>): HostFacts {
  const [id = 'unknown', version = '', likeText = ''] = (facts.get('host:os') ?? '').trim().split('|');
  const like = likeText.split(/\s+/).filter(Boolean);
  const family = osFamily(id, like);
  const machine = (facts.get('host:machine') ?? '').trim();
  return {
    os: { id, version, like, family },
    packageManager: packageManagerOf(family),
    arch: goArch(machine),
    machine,
    init: (facts.get('host:init') ?? '').trim() === 'systemd' ? 'systemd' : 'other',
    firewall: detectFirewall(facts),
  };
}
