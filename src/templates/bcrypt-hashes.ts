import bcrypt from 'bcryptjs';

const BCRYPT_HASH = /\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}/g;

/** Hashes rendered in this run, with their passwords: they live in the controller's memory only. */
const freshHashes = new Map<string, string>();
const comparisons = new Map<string, boolean>();

export function rememberFreshHash(hash: string, password: string): string {
  freshHashes.set(hash, password);
  return hash;
}

/** Whether the text holds a hash rendered in this run (so its file needs the host's current text). */
export function holdsFreshHash(text: string): boolean {
  return [...text.matchAll(BCRYPT_HASH)].some((match) => freshHashes.has(match[0]));
}

function passwordMatches(password: string, hash: string): boolean {
  const key = `${hash}\0${password}`;
  let matches = comparisons.get(key);
  if (matches === undefined) {
    matches = bcrypt.compareSync(password, hash);
    comparisons.set(key, matches);
  }
  return matches;
}

/**
 * The wanted text with each fresh hash replaced by the hash the host already has on the same line
 * (same text before it), when the password still matches that one. The file then stays byte-identical
 * across runs, and a changed password still gets a new hash.
 */
export function keepMatchingHashes(wanted: string, current: string): string {
  const currentLines = current.split('\n');
  return wanted
    .split('\n')
    .map((line) =>
      line.replace(BCRYPT_HASH, (hash, offset: number) => {
        const password = freshHashes.get(hash);
        if (password === undefined) return hash;
        const prefix = line.slice(0, offset);
        for (const old of currentLines) {
          if (!old.startsWith(prefix)) continue;
          const existing = old.slice(prefix.length).match(/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}/)?.[0];
          if (existing && passwordMatches(password, existing)) return existing;
        }
        return hash;
      }),
    )
    .join('\n');
}
