import { randomBytes } from 'node:crypto';
import { HostError } from '../connection/errors.ts';
import { shellCommand, shellQuote } from '../connection/quote.ts';
import { ArtifactCache, ChecksumMismatch } from '../artifacts/cache.ts';
import { hostProxyAssignments } from '../artifacts/proxy-env.ts';
import { fileLinesFact, parseFileLines } from '../facts/file-lines.ts';
import { refusedDestination } from '../facts/path-state.ts';
import { binaryStateCommand, parseBinaryState, writeRecordCommand } from '../facts/binary-state.ts';
import { ExternalError } from '../errors.ts';
import type { Connection } from '../connection/ssh.ts';
import type { Change, Facts, Notify, Resource } from './types.ts';

export interface ArtifactSpec {
  name: string;
  /** Archive URL; `{arch}` becomes the host's Go architecture (amd64, arm64, armv7). */
  url: string;
  /** The release's checksum file; the archive's line is looked up by file name. */
  checksumsUrl?: string;
  /** Pinned archive checksums by architecture, used instead of the checksum file. */
  sha256?: Record<string, string>;
  /** The binary's path inside the archive (`{arch}` allowed). */
  member: string;
  dest: string;
  /** Architectures the project publishes; others fail with a clear message. */
  archs?: string[];
  /** `controller` downloads once and pushes; `host` has every host download and verify itself. */
  fetch: 'controller' | 'host';
  tags?: string[];
  notify?: Notify[];
}

export type ArtifactResource = Resource & { rollback(connection: Connection): Promise<boolean> };

/** Shared by every host of a run, so each archive is downloaded once. */
const sharedCache = new ArtifactCache();

const MARKER_DIR = '/var/lib/fleet/artifacts';

interface Source {
  arch: string;
  url: string;
  member: string;
  archiveSha256: string;
}

/** A release binary installed with mode 0755, replaced only when the host's copy has a different hash. */
export function artifactResource(spec: ArtifactSpec, cache: ArtifactCache = sharedCache): ArtifactResource {
  const id = `artifact ${spec.dest}`;
  const marker = `${MARKER_DIR}/${spec.name}`;
  // Size, times and inode of the installed binary with its hash, so converged runs need not re-hash it.
  const record = `${MARKER_DIR}/${spec.name}.identity`;
  const stateKey = `binary:${spec.dest}`;
  let replaced = false;

  // Planning may read the checksum file kept from an earlier run; installing reads it afresh, so an
  // archive is never refused (nor accepted) on a copy that is out of date.
  const source = async (facts: Facts, fresh = false): Promise<Source> => {
    const arch = facts.host.arch;
    if (spec.archs && !spec.archs.includes(arch)) throw new HostError('artifact', `${spec.name} publishes no release for ${facts.host.machine} (${arch}); it has ${spec.archs.join(', ')}`);
    const url = spec.url.replaceAll('{arch}', arch);
    const member = spec.member.replaceAll('{arch}', arch);
    const asset = decodeURIComponent(new URL(url).pathname.split('/').pop()!);
    let archiveSha256 = spec.sha256?.[arch];
    if (!archiveSha256 && spec.checksumsUrl) {
      const checksumsUrl = spec.checksumsUrl.replaceAll('{arch}', arch);
      archiveSha256 = await asArtifactError(fresh ? cache.checksums(checksumsUrl).then((sums) => sums.get(asset)) : cache.checksumOf(checksumsUrl, asset));
      if (!archiveSha256) throw new HostError('artifact', `${checksumsUrl} lists no checksum for ${asset}`);
    }
    if (!archiveSha256) throw new HostError('artifact', `${spec.name}: no checksum for ${asset}; give checksums_url or sha256.${arch}`);
    return { arch, url, member, archiveSha256 };
  };

  return {
    id,
    tags: spec.tags ?? [],
    notify: spec.notify,
    facts: () => [
      { key: stateKey, command: binaryStateCommand(spec.dest, record), sharesShell: true },
      fileLinesFact(`marker:${marker}`, marker),
    ],
    async plan(facts): Promise<Change> {
      const { arch, archiveSha256, url, member } = await source(facts);
      const state = parseBinaryState(facts.raw.get(stateKey) ?? '');
      const refused = refusedDestination(spec.dest, state);
      if (refused) throw new HostError('artifact', refused);
      let expected: string | undefined;
      if (spec.fetch === 'controller') {
        expected = await asArtifactError(
          cache.unpackedSha256(url, archiveSha256, member).catch(async (error: unknown) => {
            // The kept checksum file is out of date (a repacked mirror) and the archive was downloaded
            // anyway: plan by the sums as they are now, as installing will.
            if (!(error instanceof ChecksumMismatch) || spec.sha256?.[arch]) throw error;
            const current = await source(facts, true);
            return (await cache.binary(current.url, current.archiveSha256, member)).sha256;
          }),
        );
      } else {
        const [installedFrom, installedSha] = parseFileLines(facts.raw.get(`marker:${marker}`)).text.trim().split(' ');
        if (installedFrom === archiveSha256) expected = installedSha;
      }
      const what = `${spec.name} ${arch} from ${url}`;
      const short = (hash: string | undefined) => (hash ? `${hash.slice(0, 12)}…` : 'unknown');
      if (!state.exists) return { resource: id, action: 'create', reason: `install ${what}` };
      if (expected === undefined || state.sha256 !== expected) {
        const wanted = expected ? `sha256 ${short(expected)}` : 'a binary fleet did not install';
        return { resource: id, action: 'update', reason: `binary differs (host has sha256 ${short(state.sha256)}, want ${wanted}): replace with ${what}` };
      }
      if (state.mode !== '0755' || state.owner !== 'root') return { resource: id, action: 'update', reason: `mode ${state.mode} ${state.owner} -> 0755 root` };
      return { resource: id, action: 'same', reason: `binary matches ${url.split('/').pop()}` };
    },
    upkeep(facts) {
      // Hashed in full because the record was missing or stale (an older fleet, a chmod): record it again.
      const state = parseBinaryState(facts.raw.get(stateKey) ?? '');
      if (state.hashedFrom !== 'content' || !state.identity || !state.sha256) return undefined;
      return writeRecordCommand(spec.dest, record, state.sha256, state.identity);
    },
    async apply(connection, _change, facts) {
      const { url, member, archiveSha256 } = await source(facts, true);
      if (spec.fetch === 'controller') {
        const binary = await asArtifactError(cache.binary(url, archiveSha256, member));
        const prefix = `/tmp/.fleet-upload-${spec.name}-`;
        const upload = `${prefix}${randomBytes(6).toString('hex')}`;
        await connection.uploadFile(binary.path, upload, 0o600);
        const script = [
          `trap ${shellQuote(`rm -f ${shellQuote(upload)}`)} EXIT`,
          // An upload cut off by an earlier run that ended at once (second Ctrl-C, lost session) is not
          // left in /tmp; one that a process still holds open (another run uploading now) is kept.
          `for stale in ${shellQuote(prefix)}*; do [ -f "$stale" ] && [ "$stale" != ${shellQuote(upload)} ] || continue; ls -l /proc/[0-9]*/fd 2>/dev/null | grep -qF -- "$stale" || rm -f -- "$stale"; done`,
          // What arrived is what the cache verified: a cut-short upload or a cache file changed since it was hashed is never installed.
          `actual=$(sha256sum ${shellQuote(upload)} | cut -d' ' -f1)`,
          `[ "$actual" = ${shellQuote(binary.sha256)} ] || { echo "the uploaded ${spec.name} binary has sha256 $actual, expected ${binary.sha256} (the controller's cached copy changed, or the upload was cut short); nothing was installed" >&2; exit 1; }`,
          `${installScript(shellQuote(upload), spec.dest)} && ${writeRecordCommand(spec.dest, record, binary.sha256)}`,
        ].join('\n');
        await connection.execChecked(`install ${spec.dest}`, script, { sudo: true });
      } else {
        await connection.execChecked(`download and install ${spec.dest}`, hostFetchScript(url, archiveSha256, member, spec.dest, marker, record), { sudo: true, timeoutMs: 600_000 });
      }
      replaced = true;
    },
    async rollback(connection) {
      if (!replaced) return false;
      const previous = `${spec.dest}.fleet-previous`;
      const result = await connection.exec(`[ -f ${shellQuote(previous)} ] && ${shellCommand('mv', '-f', previous, spec.dest)} && ${shellCommand('rm', '-f', marker)}`, { sudo: true });
      return result.code === 0;
    },
  };
}

async function asArtifactError<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof ExternalError) throw new HostError('artifact', error.message);
    throw error;
  }
}

/**
 * Keeps the old binary as DEST.fleet-previous (a hard link: no extra space, for rollback), then
 * renames the new one into place. On any failure (a full disk) the partial copy is removed and the
 * old binary stays in service. `sourceWord` is already a shell word (quoted, possibly with a variable).
 */
function installScript(sourceWord: string, dest: string): string {
  const staged = `${dest}.fleet-new`;
  const d = shellQuote(dest);
  return [
    `if [ -d ${d} ]; then echo ${shellQuote(`${dest} is a directory (or a symbolic link to one); refusing to install there`)} >&2; exit 1; fi`,
    `if [ -f ${d} ]; then ${shellCommand('ln', '-f', dest, `${dest}.fleet-previous`)} 2>/dev/null || ${shellCommand('cp', '-p', dest, `${dest}.fleet-previous`)} || { ${shellCommand('rm', '-f', `${dest}.fleet-previous`)}; exit 1; }; fi`,
    `install -m 0755 -o root -g root ${sourceWord} ${shellQuote(staged)} || { ${shellCommand('rm', '-f', staged)}; echo ${shellQuote(`could not write ${staged}; ${dest} was not changed`)} >&2; exit 1; }`,
    shellCommand('mv', '-f', staged, dest),
  ].join('\n');
}

/** The host downloads and verifies the archive itself (curl or wget, through the controller's proxy; unzip for zip archives). */
function hostFetchScript(url: string, sha256: string, member: string, dest: string, marker: string, record: string): string {
  const unpack = url.endsWith('.zip')
    ? `command -v unzip >/dev/null || { echo 'unzip is needed on the host for artifacts.fetch: host with zip archives' >&2; exit 1; }; unzip -q "$d/archive" ${shellQuote(member)} -d "$d/x"`
    : `tar -xzf "$d/archive" -C "$d/x" ${shellQuote(member)}`;
  const assignments = hostProxyAssignments();
  const proxy = assignments ? `${assignments} ` : '';
  return [
    'set -e',
    'd=$(mktemp -d); trap \'rm -rf "$d"\' EXIT; mkdir "$d/x"',
    // The controller's proxy variables (and only those) go along, as assignments for the one download.
    `if command -v curl >/dev/null; then ${proxy}curl -fsSL -o "$d/archive" ${shellQuote(url)}; else ${proxy}wget -qO "$d/archive" ${shellQuote(url)}; fi`,
    `actual=$(sha256sum "$d/archive" | cut -d' ' -f1)`,
    `[ "$actual" = ${shellQuote(sha256)} ] || { echo ${shellQuote(`checksum mismatch for ${url}: expected ${sha256}, downloaded `)}"$actual"'; refusing to install it' >&2; exit 1; }`,
    unpack,
    installScript(`"$d/x/"${shellQuote(member)}`, dest),
    `mkdir -p ${MARKER_DIR}`,
    `installed=$(sha256sum < ${shellQuote(dest)} | cut -d' ' -f1)`,
    `echo ${shellQuote(sha256)} "$installed" > ${shellQuote(marker)}`,
    writeRecordCommand(dest, record, '"$installed"'),
  ].join('\n');
}
