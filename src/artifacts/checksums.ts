/** Parses `sha256sums.txt` / `SHA256SUMS`: one `<sha256>  <file>` line per asset (`*file` in binary mode). */
export function parseChecksums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([0-9a-fA-F]{64})\s+\*?(\S+)\s*$/.exec(line.trim());
    if (match) sums.set(match[2]!.replace(/^\.\//, ''), match[1]!.toLowerCase());
  }
  return sums;
}
