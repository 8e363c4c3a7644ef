import { createHash } from 'node:crypto';
import { Duplex } from 'node:stream';
import type { Connection } from '../../src/connection/ssh.ts';
import { TunnelRefused } from '../../src/connection/tunnel-http.ts';

/**
 * Stands in for the SSH session of a Debian host, for the engine's unit tests: answers the parts of
 * a facts round trip (commands of their own and the shared readers: one stat for all paths, two
 * systemctl runs for all units, one curl for all URLs, HTTP through tunnels) from what the test says the
 * host holds, and counts every exec, which is what Connection.usage.commands counts on a real session.
 */
export interface FakeHostState {
  /** Regular files by path, with their content. */
  files?: Record<string, string>;
  /** Units whose state is enabled and active, unless `stopped` names them (by service name). */
  stopped?: string[];
  /** HTTP answers by URL; any other URL answers 200 "ok". */
  http?: Record<string, [number, string]>;
  /** false: the host's sshd refuses tunnels (AllowTcpForwarding no), so checks go to the host's curl. */
  tunnels?: boolean;
}

export function fakeHost(state: FakeHostState = {}) {
  const commands: string[] = [];
  const running = new Set<string>();
  const files = state.files ?? {};
  const isStopped = (unit: string) => (state.stopped ?? []).includes(unit.replace(/\.service$/, '')) && !running.has(unit.replace(/\.service$/, ''));
  const answer = (command: string): string => {
    // A command's guards hold (creates: exists, unless: exits 0); the packages are installed.
    if (command.includes('echo present; else echo absent')) return 'present\n';
    if (command.includes('unless-exit:')) return '\nunless-exit:0\n';
    if (command.includes('/etc/os-release')) return 'debian|12|\n';
    if (command.includes('dpkg-query -W')) return '@dpkg\ntree install ok installed\nhello install ok installed\n@apt-lists\n';
    const units = /^systemctl list-unit-files .* -- (.*) 2>\/dev\/null; echo/m.exec(command);
    if (units) {
      const names = words(units[1]!);
      return `${names.map((unit) => `${unit} enabled enabled\n`).join('')}-- active\n${names.map((unit) => `${isStopped(unit) ? 'inactive' : 'active'}\n`).join('')}`;
    }
    const paths = /^set -- (.*)\nstat -c/m.exec(command);
    if (paths) {
      const listed = words(paths[1]!).filter((path) => path in files);
      const sha = (path: string) => createHash('sha256').update(files[path]!).digest('hex');
      return `${listed.map((path) => `regular file|644|root|root|${path}\n`).join('')}-- hashes\n${listed.map((path) => `${sha(path)}  ${path}\n`).join('')}-- directories\n`;
    }
    // One curl for all URLs: each transfer prints its body, then its write-out with the status filled in.
    const transfers = [...command.matchAll(/-w '([^']*)' --max-time 5 ([^\s;]+)/g)].map(([, format, url]) => [format!, words(url!)[0]!] as const);
    if (transfers.length) {
      return transfers.map(([format, url]) => {
        const [status, body] = state.http?.[url] ?? [200, 'ok'];
        return `${body}${format.replace('%{http_code}', String(status))}`;
      }).join('');
    }
    // One awk for all small files: each line behind its file's number, then the number and a dot; read-all once awk is done.
    const lineReads = [...command.matchAll(/^\[ -f (\S+) \] && set -- "\$@" (\d+) /gm)];
    if (lineReads.length) {
      return lineReads.map(([, path, index]) => {
        const content = files[words(path!)[0]!];
        return content === undefined ? '' : `${content.split('\n').filter(Boolean).map((line) => `${index}:${line}\n`).join('')}${index}.\n`;
      }).join('') + 'read-all\n';
    }
    if (command.includes('uname -m')) return 'x86_64\n';
    return '';
  };
  const exec = async (command: string) => {
    commands.push(command);
    for (const started of command.matchAll(/systemctl (?:start|restart) '?([^' ]+)\.service/g)) running.add(started[1]!);
    // Each part of the facts round trip, run one after the other: in a subshell, or a { } group in the script's
    // shell; the facts script ends with `true`.
    const parts = [...command.matchAll(/printf '\\n(__fleet_part_[0-9a-f]+_)%d\\n' (\d+); (?:\( ([\s\S]*?) \)|\{ ([\s\S]*?)\n\}) <\/dev\/null 2>&1(?=\nprintf|\ntrue$|$)/g)];
    const stdout = parts.length ? parts.map((part) => `\n${part[1]}${part[2]}\n${answer(part[3] ?? part[4]!)}`).join('') : answer(command);
    return { code: 0, stdout, stderr: '' };
  };
  const tunnels: string[] = [];
  // A tunnel answers as the endpoint would: one HTTP/1.1 answer to the request written into it.
  const openTunnel = async (host: string, port: number): Promise<Duplex> => {
    if (state.tunnels === false) {
      connection.tunnelsRefused = true;
      throw new TunnelRefused('(SSH) Channel open failure: administratively prohibited');
    }
    tunnels.push(`${host}:${port}`);
    let request = '';
    const channel = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, done) {
        request += chunk.toString();
        if (request.includes('\r\n\r\n') && !channel.readableEnded) {
          const url = decodeURI(`http://${host.includes(':') ? `[${host}]` : host}:${port}${request.split(' ')[1]}`);
          const [status, body] = Object.entries(state.http ?? {}).find(([known]) => decodeURI(known) === url)?.[1] ?? [200, 'ok'];
          channel.push(`HTTP/1.1 ${status} Fake\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
          channel.push(null);
        }
        done();
      },
    });
    return channel;
  };
  const connection = { exec, execChecked: async (_step: string, command: string) => (await exec(command)).stdout, openTunnel, tunnelsRefused: false } as unknown as Connection;
  return { connection, commands, tunnels };
}

/** The words of a list of arguments as shellQuote writes them: bare, or single-quoted with '\\'' for a quote. */
function words(list: string): string[] {
  return [...list.matchAll(/(?:'[^']*'|\\'|[^\s'\\])+/g)].map(([word]) => word.replace(/'([^']*)'|\\(')/g, '$1$2'));
}
