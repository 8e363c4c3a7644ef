import type { Client } from 'ssh2';

/**
 * After login, OpenSSH's sshd announces all its host keys (`hostkeys-00@openssh.com`, OpenSSH's
 * PROTOCOL file, section 2.5), and ssh2 answers every announcement by asking the host to prove it
 * holds each key (ssh2 lib/client.js, the GLOBAL_REQUEST handler, hostKeysProve): the host signs once
 * per key (an RSA signature is the dear one) and ssh2 checks each signature. That serves a client
 * that rotates its known_hosts (OpenSSH's UpdateHostKeys); fleet never reads the result. Measured on
 * 49 lab hosts at once: connect and `true` cost the machine about 4 ms of CPU per host less without it.
 *
 * ssh2 has no option for this, so the handler is wrapped once the key exchange is done; if ssh2's
 * internals ever differ from what this expects, nothing is changed and the proof simply happens.
 */
export function ignoreHostKeysNotice(client: Client): void {
  client.once('handshake', () => {
    const handlers = (client as unknown as { _protocol?: { _handlers?: Record<string, unknown> } })._protocol?._handlers;
    const original = handlers?.GLOBAL_REQUEST;
    if (!handlers || typeof original !== 'function') return;
    handlers.GLOBAL_REQUEST = (protocol: unknown, name: string, wantReply: boolean, data: unknown) => {
      // sshd asks for no reply; a request that wants one still gets ssh2's own answer.
      if (name === 'hostkeys-00@openssh.com' && !wantReply) return;
      return (original as (...args: unknown[]) => unknown)(protocol, name, wantReply, data);
    };
  });
}
