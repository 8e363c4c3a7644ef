import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { becomeRefusal, endsWithPrompt, newTerminalMarkers, splitTerminalOutput, terminalBecomeCommand } from '../../../src/connection/become.ts';

describe('su and doas on a PTY', () => {
  const markers = newTerminalMarkers();

  it('splits the output at the markers into what su said, the command\'s stdout and its stderr', () => {
    const output = `Password: \n${markers.ok}\nline 1\nline 2\n\n${markers.stderr}\nwarning\n`;
    expect(splitTerminalOutput(output, markers)).toEqual({ authenticated: true, said: '', stdout: 'line 1\nline 2\n', stderr: 'warning\n' });
  });

  it('keeps stdout without a final newline as it was, and empty streams empty', () => {
    expect(splitTerminalOutput(`${markers.ok}\nno newline\n${markers.stderr}\n`, markers)).toMatchObject({ stdout: 'no newline', stderr: '' });
    expect(splitTerminalOutput(`${markers.ok}\n\n${markers.stderr}\n`, markers)).toMatchObject({ stdout: '', stderr: '' });
  });

  it('is not authenticated without the marker, and keeps what su said for the error', () => {
    expect(splitTerminalOutput('Password: \nsu: Authentication failure\n', markers)).toEqual({ authenticated: false, said: 'Password: \nsu: Authentication failure\n', stdout: '', stderr: '' });
  });

  it('gives the reason in a few words, without the prompt or the program\'s name', () => {
    expect(becomeRefusal('su', 'Password: \nsu: Authentication failure\n', ['Password: '])).toBe('authentication failure');
    expect(becomeRefusal('doas', '\rdoas (deploy@web1) password: \ndoas: Authentication failed\n', ['\rdoas (deploy@web1) password: '])).toBe('authentication failed');
    expect(becomeRefusal('doas', 'doas: Operation not permitted\n', [])).toBe('operation not permitted');
    expect(becomeRefusal('su', '', [])).toBe('');
  });

  it('recognises the prompts of su and doas, in English and elsewhere, and nothing else', () => {
    expect(endsWithPrompt('Password: ')).toBe(true);
    expect(endsWithPrompt('\rdoas (deploy@web1) password: ')).toBe(true);
    expect(endsWithPrompt('Passwort: ')).toBe(true);
    expect(endsWithPrompt('密码：')).toBe(true);
    expect(endsWithPrompt('')).toBe(false);
    expect(endsWithPrompt('su: Authentication failure\n')).toBe(false);
    // su writes its name before the message, sometimes in a packet of its own.
    expect(endsWithPrompt('Password: \nsu: ', 'su')).toBe(false);
    expect(endsWithPrompt('\ndoas: ', 'doas')).toBe(false);
    expect(endsWithPrompt('Password: \nPassword: ', 'su')).toBe(true);
  });

  it('runs the command with its streams in files and prints them between the markers (checked with a real sh)', () => {
    const bounded = `sh -c ${"'echo out; echo \"it'\\''s\" ; echo err >&2; exit 3'"}`;
    // `su root -c` is replaced by sh here: what the root shell runs is the part after it.
    const line = terminalBecomeCommand('su', bounded, markers);
    const inner = line.replace(/^stty -echo -opost 2>\/dev\/null; exec su root -c /, '');
    const script = execFileSync('sh', ['-c', `printf %s ${inner}`], { encoding: 'utf8' });
    let output = '';
    try {
      execFileSync('sh', ['-c', script], { encoding: 'utf8' });
    } catch (error) {
      const failed = error as { status: number; stdout: string };
      expect(failed.status).toBe(3);
      output = failed.stdout;
    }
    expect(splitTerminalOutput(output, markers)).toEqual({ authenticated: true, said: '', stdout: "out\nit's\n", stderr: 'err\n' });
  });

  it('gives every command its own markers', () => {
    expect(newTerminalMarkers().ok).not.toBe(newTerminalMarkers().ok);
  });
});
