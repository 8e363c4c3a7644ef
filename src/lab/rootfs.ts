import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExternalError } from '../errors.ts';
import { runLocal, runLocalChecked } from '../local/run.ts';
import { LAB_ACCOUNTS, labDir, labKeyPath } from './layout.ts';

/** Debian releases the lab can boot: 12 (bookworm) is the default, 13 (trixie) runs beside it. */
export const LAB_SUITES = ['bookworm', 'trixie'] as const;
export type LabSuite = (typeof LAB_SUITES)[number];
export const DEFAULT_LAB_SUITE: LabSuite = 'bookworm';
const MIRROR = 'http://deb.debian.org/debian';
// ufw is installed but left inactive: a host becomes a "ufw host" only when a test enables it.
const PACKAGES = [
  'systemd', 'systemd-sysv', 'openssh-server', 'dbus', 'iproute2', 'nftables', 'iptables', 'ufw',
  'curl', 'ca-certificates', 'sudo', 'procps',
  // OpenDoas, for the hosts whose deploy user becomes root with doas instead of sudo.
  'doas',
  // Resolves the container's own name, or sudo warns on every call.
  'libnss-myhostname',
  // The central Prometheus (and promtool) of the lab's monitor host; disabled on the others.
  'prometheus',
  // Installed but disabled, like ufw: a host becomes a "firewalld host" only when a test starts it.
  // (firewalld needs polkitd, which needs logind; debootstrap does not resolve that alternative.)
  'firewalld', 'libpam-systemd',
];
/**
 * Packages of one release only. cloud-init validates the user-data of `fleet cloud-init` with the
 * cloud-init a Debian 12 cloud image runs (`cloud-init schema`); disabled at boot, see configureRootfs.
 * debootstrap does not resolve the virtual package python3-cryptography needs, so its provider is named
 * too. Debian 13's cloud-init declares a conflict with firewalld, so its image goes without.
 */
const SUITE_PACKAGES: Record<LabSuite, readonly string[]> = {
  bookworm: ['cloud-init', 'python3-cffi-backend'],
  trixie: [],
};
// Bump when the steps below change, so a stale cached image is rebuilt.
const RECIPE_VERSION = 8;
const READY_MARK = '.fleet-lab-ready';
// Part of every image's recipe: see configureRootfs.
const SSH_WITHOUT_PAM_SYSTEMD = 'common-session without pam_systemd';

const creatingKeys = new Map<string, Promise<string>>();

/**
 * Returns the path of the lab's private key, creating the key pair on first use. Both suites' images
 * ask for it at once on a fresh machine: one ssh-keygen runs, the other caller waits for it (a second
 * ssh-keygen found the first one's file and sat at its "Overwrite (y/n)?" prompt for good).
 */
export function ensureLabKey(): Promise<string> {
  const keyPath = labKeyPath();
  if (existsSync(keyPath)) return Promise.resolve(keyPath);
  let creating = creatingKeys.get(keyPath);
  if (!creating) {
    creating = createLabKey(keyPath).finally(() => creatingKeys.delete(keyPath));
    creatingKeys.set(keyPath, creating);
  }
  return creating;
}

/** Writes the pair under a temporary name and renames it into place, so no reader sees half a pair. */
async function createLabKey(keyPath: string): Promise<string> {
  await mkdir(labDir(), { recursive: true });
  const temporary = `${keyPath}.${process.pid}.new`;
  await rm(temporary, { force: true });
  await rm(`${temporary}.pub`, { force: true });
  await runLocalChecked('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'fleet-lab', '-f', temporary]);
  await rename(`${temporary}.pub`, `${keyPath}.pub`);
  await rename(temporary, keyPath);
  return keyPath;
}

/**
 * Builds the base image of one Debian suite once (about a minute) and reuses it while its recipe is
 * unchanged. The suite is part of the recipe, so each suite has its own cached image.
 */
export async function ensureRootfs(log: (line: string) => void = () => {}, suite: LabSuite = DEFAULT_LAB_SUITE): Promise<string> {
  const publicKey = await readFile(`${await ensureLabKey()}.pub`, 'utf8');
  // The default suite keeps the key it always had, so an existing bookworm image stays valid.
  const packages = [...PACKAGES, ...SUITE_PACKAGES[suite]];
  const recipe = JSON.stringify({ RECIPE_VERSION, SUITE: suite, PACKAGES: packages, publicKey, LAB_ACCOUNTS, SSH_WITHOUT_PAM_SYSTEMD });
  const hash = createHash('sha256').update(recipe).digest('hex').slice(0, 12);
  const rootfs = join(labDir(), `rootfs-${hash}`);
  if (existsSync(join(rootfs, READY_MARK))) return rootfs;

  const building = `${rootfs}.building`;
  await unmountBelow(building);
  await rm(building, { recursive: true, force: true });
  log(`building the lab image in ${rootfs} (debootstrap ${suite}, about a minute, once)`);
  const debootstrap = await runLocal('debootstrap', ['--variant=minbase', `--include=${packages.join(',')}`, suite, building, MIRROR]);
  if (debootstrap.code !== 0) {
    await unmountBelow(building);
    throw new ExternalError(`building the lab image failed (debootstrap exit ${debootstrap.code}); see ${join(building, 'debootstrap', 'debootstrap.log')}: ${debootstrap.stderr.trim().split('\n').slice(-3).join(' ')}`);
  }
  await configureRootfs(building, publicKey);
  await writeFile(join(building, READY_MARK), recipe);
  await rename(building, rootfs);
  return rootfs;
}

/**
 * debootstrap mounts /proc (and more) inside the folder it builds and leaves them mounted when it is
 * killed or fails: unmount them, deepest first, before that folder is removed or built again.
 */
async function unmountBelow(dir: string): Promise<void> {
  const mounts = (await readFile('/proc/mounts', 'utf8')).split('\n').map((line) => line.split(' ')[1] ?? '').filter((path) => path.startsWith(`${dir}/`));
  for (const path of mounts.sort((a, b) => b.length - a.length)) await runLocalChecked('umount', ['-l', path]);
}

async function configureRootfs(root: string, publicKey: string): Promise<void> {
  const chroot = (...args: string[]) => runLocalChecked('chroot', [root, ...args]);
  {
    // Under nspawn here, pam_systemd at SSH login can wait on the user manager (user@0), which does not come
    // up: sshd blocks in the session request, answers no keepalive, and the session dies after a minute (on
    // Debian 13 at random in most runs, on Debian 12 seen once with six logins at once). Lab logins skip the
    // logind session; nothing fleet does needs one.
    const commonSession = join(root, 'etc/pam.d/common-session');
    await writeFile(commonSession, (await readFile(commonSession, 'utf8')).split('\n').filter((line) => !line.includes('pam_systemd.so')).join('\n'));
  }
  await chroot('systemctl', 'enable', 'systemd-networkd', 'ssh');
  await chroot('systemctl', 'mask', 'apt-daily.timer', 'apt-daily-upgrade.timer', 'e2scrub_all.timer', 'console-getty.service');
  // Only the monitor host runs Prometheus (see enableLabPrometheus); no host filters until a test says so.
  await chroot('systemctl', 'disable', 'prometheus', 'firewalld');
  // Each boot must take the name given by --hostname and get its own machine id.
  await rm(join(root, 'etc/hostname'), { force: true });
  // cloud-init is there for its schema check only: it must not configure lab hosts at boot.
  if (existsSync(join(root, 'etc/cloud'))) await writeFile(join(root, 'etc/cloud/cloud-init.disabled'), '');
  await writeFile(join(root, 'etc/machine-id'), '');

  await installAuthorizedKey(root, 'root', '/root', publicKey);
  for (const user of [LAB_ACCOUNTS.deployUser, LAB_ACCOUNTS.sudoPasswordUser, LAB_ACCOUNTS.noSudoUser, LAB_ACCOUNTS.suUser, LAB_ACCOUNTS.doasUser, LAB_ACCOUNTS.doasNopassUser]) {
    await chroot('useradd', '--create-home', '--shell', '/bin/bash', user);
    await installAuthorizedKey(root, user, `/home/${user}`, publicKey);
  }
  await runLocalChecked('chroot', [root, 'chpasswd'], {
    input: `root:${LAB_ACCOUNTS.rootPassword}\n${LAB_ACCOUNTS.sudoPasswordUser}:${LAB_ACCOUNTS.sudoPassword}\n${LAB_ACCOUNTS.doasUser}:${LAB_ACCOUNTS.doasPassword}\n`,
  });
  const sudoers = join(root, 'etc/sudoers.d/fleet-lab');
  await writeFile(sudoers, `${LAB_ACCOUNTS.deployUser} ALL=(ALL) NOPASSWD:ALL\n${LAB_ACCOUNTS.sudoPasswordUser} ALL=(ALL) ALL\n`);
  await chmod(sudoers, 0o440);
  // OpenDoas refuses a config that others can write; one rule asks for the user's password, one does not.
  const doasConf = join(root, 'etc/doas.conf');
  await writeFile(doasConf, `permit persist ${LAB_ACCOUNTS.doasUser} as root\npermit nopass ${LAB_ACCOUNTS.doasNopassUser} as root\n`);
  await chmod(doasConf, 0o400);
}

async function installAuthorizedKey(root: string, user: string, home: string, publicKey: string): Promise<void> {
  const sshDir = join(root, home, '.ssh');
  await mkdir(sshDir, { recursive: true, mode: 0o700 });
  await writeFile(join(sshDir, 'authorized_keys'), publicKey, { mode: 0o600 });
  await runLocalChecked('chroot', [root, 'chown', '-R', `${user}:${user}`, `${home}/.ssh`]);
}
