import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { Unzip, UnzipInflate, unzipSync } from 'fflate';

/**
 * Writes one member of a zip archive to `destination`, streaming: the archive is read in chunks and
 * the member written as it inflates, so neither is held whole in memory (Alloy's zip is hundreds of MB).
 * Returns false when the archive holds no such member.
 */
export async function unzipMember(archive: string, member: string, destination: string, options: { systemUnzip?: boolean } = {}): Promise<boolean> {
  const bySystemUnzip = options.systemUnzip === false ? undefined : await systemUnzip(archive, member, destination);
  if (bySystemUnzip !== undefined) return bySystemUnzip;
  try {
    return await streamMember(archive, member, destination);
  } catch {
    // fflate's streaming reader cannot size a stored entry written with a data descriptor; such
    // archives are read whole, as before.
    const files = unzipSync(await readFile(archive), { filter: (file) => file.name === member });
    if (!files[member]) return false;
    await writeFile(destination, files[member]);
    return true;
  }
}

/**
 * Info-ZIP's `unzip -p`, where the controller has it: it inflates in C with a fixed buffer, so the
 * controller's memory does not grow with the member (fflate's chunks are garbage the GC collects late).
 * undefined when there is no unzip, or it failed for a reason other than a missing member.
 */
function systemUnzip(archive: string, member: string, destination: string): Promise<boolean | undefined> {
  return new Promise((resolve) => {
    const out = openSync(destination, 'w', 0o644);
    // Info-ZIP treats [ * ? in names as wildcards; -p with an exact name that has none of them.
    if (/[[*?\\]/.test(member)) {
      closeSync(out);
      resolve(undefined);
      return;
    }
    // Without unzip on the PATH, 'error' and then 'close' both fire: close the file and answer once.
    let settled = false;
    const settle = (result: boolean | undefined) => {
      if (settled) return;
      settled = true;
      closeSync(out);
      resolve(result);
    };
    const child = spawn('unzip', ['-p', archive, member], { stdio: ['ignore', out, 'ignore'] });
    child.on('error', () => settle(undefined));
    // 0: written; 11: no matching member; anything else: let fflate try.
    child.on('close', (code) => settle(code === 0 ? true : code === 11 ? false : undefined));
  });
}

async function streamMember(archive: string, member: string, destination: string): Promise<boolean> {
  const fd = openSync(destination, 'w', 0o644);
  let found = false;
  let finished = false;
  let failure: Error | undefined;
  const unzip = new Unzip((file) => {
    if (file.name !== member || found) return;
    found = true;
    file.ondata = (error, chunk, final) => {
      if (error) failure = error;
      else {
        writeSync(fd, chunk);
        if (final) finished = true;
      }
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  try {
    for await (const chunk of createReadStream(archive, { highWaterMark: 1 << 16 })) {
      unzip.push(chunk as Uint8Array);
      if (failure) throw failure;
      if (finished) return true;
    }
    unzip.push(new Uint8Array(0), true);
    if (failure) throw failure;
  } finally {
    closeSync(fd);
  }
  if (found && !finished) throw new Error(`${member} ends before its data does`);
  return found;
}
