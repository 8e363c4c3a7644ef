/**
 * Ansible's `os_family`, in lower case: what a distribution derives from, read from os-release's ID and
 * ID_LIKE (Ubuntu says `ID_LIKE=debian`, Rocky `ID_LIKE="rhel centos fedora"`). It picks the package manager.
 */
export type OsFamily = 'debian' | 'redhat' | 'suse' | 'alpine' | 'unknown';

export type PackageManager = 'apt' | 'dnf' | 'zypper' | 'apk' | 'none';

const FAMILY_OF: Record<string, OsFamily> = {
  debian: 'debian', ubuntu: 'debian', raspbian: 'debian', linuxmint: 'debian',
  fedora: 'redhat', rhel: 'redhat', centos: 'redhat', rocky: 'redhat', almalinux: 'redhat', ol: 'redhat',
  suse: 'suse', opensuse: 'suse', 'opensuse-leap': 'suse', 'opensuse-tumbleweed': 'suse', sles: 'suse', sled: 'suse',
  alpine: 'alpine',
};

const MANAGER_OF: Record<OsFamily, PackageManager> = { debian: 'apt', redhat: 'dnf', suse: 'zypper', alpine: 'apk', unknown: 'none' };

/** The first of ID, then ID_LIKE's names in order, that fleet knows. */
export function osFamily(id: string, like: readonly string[]): OsFamily {
  for (const name of [id, ...like]) {
    const family = FAMILY_OF[name];
    if (family) return family;
  }
  return 'unknown';
}

export function packageManagerOf(family: OsFamily): PackageManager {
  return MANAGER_OF[family];
}
