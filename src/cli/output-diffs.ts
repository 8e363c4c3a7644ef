/**
 * What file contents may reach an output (the terminal, --json, a journal): none without --diff,
 * and with it, credentials masked. Plans keep their full diffs inside the run, because apply needs them.
 */

// A key that names a credential, then its value: `password: x`, `bearer_token = "x"`, `"secret": "x"`.
// Keys ending in _file name where a secret lives, not the secret, and stay readable.
const CREDENTIAL = /(\b[\w.-]*(?:password|passwd|secret|token|credentials|api_?key|authorization|private_key)(?!_file)[\w-]*["']?\s*[:=]\s*)("(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[^\s,}#]+)/gi;
// Credentials inside a URL: scheme://user:password@host
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi;

export const MASKED = '(masked)';

export function maskCredentials(text: string): string {
  return text.replace(CREDENTIAL, (_all, key: string) => `${key}${MASKED}`).replace(URL_PASSWORD, (_all, head: string) => `${head}${MASKED}@`);
}

/** A JSON.stringify replacer: `diff` objects dropped without --diff, masked with it; error messages masked. */
export function diffReplacer(withDiff: boolean) {
  return (key: string, value: unknown): unknown => {
    // A validator's error (alloy validate, promtool) may quote the offending config line.
    if (key === 'message' && typeof value === 'string') return maskCredentials(value);
    if (key !== 'diff' || value === null || typeof value !== 'object' || !('after' in value)) return value;
    if (!withDiff) return undefined;
    const { before, after } = value as { before: string; after: string };
    return { before: maskCredentials(before), after: maskCredentials(after) };
  };
}
