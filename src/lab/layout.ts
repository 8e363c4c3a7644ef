import { join } from 'node:path';

/** Where the lab keeps its cached rootfs, key and state; override with FLEET_LAB_DIR. */
export function labDir(): string {
  return process.env.FLEET_LAB_DIR ?? '/var/lib/fleet-lab';
}

export const LAB_BRIDGE = 'fleetlab0';
export const LAB_GATEWAY = '10.213.0.1';
export const LAB_PREFIX = '10.213.0.';

export function labKeyPath(): string {
  return join(labDir(), 'id_ed25519');
}

/**
 * The bridge's addresses are split so `fleet lab up` and the test suite can run side by side:
 * `fleet lab up` boots its hosts at .10 to .99, the test suite's hosts take .100 to .254.
 */
export const LAB_UP_INDEXES = { first: 10, last: 99 } as const;
export const TEST_INDEXES = { first: 100, last: 254 } as const;

/** Lab hosts are numbered; the number is the last octet of the address. */
export function labAddress(index: number): string {
  if (!Number.isInteger(index) || index < 2 || index > 254) throw new Error(`lab host index ${index} is outside 2..254`);
  return `${LAB_PREFIX}${index}`;
}

/** Accounts baked into the lab image, for the tests of each login and sudo case. */
export const LAB_ACCOUNTS = {
  rootPassword: 'fleet-lab-root',
  deployUser: 'deploy',
  sudoPasswordUser: 'deploypw',
  sudoPassword: 'fleet-lab-sudo',
  noSudoUser: 'nosudo',
  /** No sudo: becomes root with su and root's password (rootPassword). */
  suUser: 'deploysu',
  /** doas with a password (OpenDoas `permit persist`): the user's own, doasPassword. */
  doasUser: 'deploydoas',
  doasPassword: 'fleet-lab-doas',
  /** doas with a `nopass` rule: no password, no terminal. */
  doasNopassUser: 'deploydoasnp',
} as const;
