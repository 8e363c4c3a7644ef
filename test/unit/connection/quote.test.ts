import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellCommand, shellQuote } from '../../../src/connection/quote.ts';

const NASTY = ["it's", 'a b', '$(touch /tmp/pwned)', '`id`', 'x;y', '"q"', 'new\nline', '', '-n', '*', '\\', "'"];

describe('shellQuote', () => {
  it('passes every value through a real POSIX shell unchanged', () => {
    for (const value of NASTY) {
      const printed = execFileSync('sh', ['-c', `printf '%s' ${shellQuote(value)}`], { encoding: 'utf8' });
      expect(printed).toBe(value);
    }
  });

  it('leaves plain words readable', () => {
    expect(shellCommand('systemctl', 'restart', 'node_exporter.service')).toBe('systemctl restart node_exporter.service');
    expect(shellCommand('echo', 'a b')).toBe("echo 'a b'");
  });
});
