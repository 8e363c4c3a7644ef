import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import { afterEach, describe, expect, it } from 'vitest';
import { ignoreHostKeysNotice } from '../../../src/connection/host-keys-notice.ts';

const { Client, Server, utils } = ssh2;
type GlobalRequest = (protocol: unknown, name: string, wantReply: boolean, data: unknown) => void;

// A real ssh2 server and client on loopback: the wrapper must find ssh2's handler where this ssh2 keeps it.
describe("sshd's announcement of its host keys", () => {
  const closers: (() => void)[] = [];
  afterEach(() => closers.splice(0).forEach((close) => close()));

  async function handshakenClient(): Promise<{ handlers: Record<string, GlobalRequest>; original: GlobalRequest }> {
    const server = new Server({ hostKeys: [utils.generateKeyPairSync('ed25519').private] }, (connection) => {
      connection.on('authentication', (context) => context.accept());
      connection.on('error', () => {});
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    closers.push(() => server.close());
    const client = new Client();
    client.on('error', () => {});
    closers.push(() => client.end());
    let original: GlobalRequest | undefined;
    // Registered first, so it sees ssh2's handler before the wrapper replaces it.
    client.once('handshake', () => (original = (client as unknown as { _protocol: { _handlers: Record<string, GlobalRequest> } })._protocol._handlers.GLOBAL_REQUEST));
    ignoreHostKeysNotice(client);
    client.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, username: 'fleet', password: 'unused' });
    await once(client, 'ready');
    const handlers = (client as unknown as { _protocol: { _handlers: Record<string, GlobalRequest> } })._protocol._handlers;
    return { handlers, original: original! };
  }

  it('finds the handler of this ssh2 version and wraps it once the key exchange is done', async () => {
    const { handlers, original } = await handshakenClient();
    expect(typeof original).toBe('function');
    expect(handlers.GLOBAL_REQUEST).not.toBe(original);
  });

  it('drops the announcement, which asks for no reply, and passes every other global request to ssh2', () => {
    const calls: [string, boolean][] = [];
    const ssh2Handler: GlobalRequest = (_protocol, name, wantReply) => void calls.push([name, wantReply]);
    const client = { once: (_event: string, listener: () => void) => listener(), _protocol: { _handlers: { GLOBAL_REQUEST: ssh2Handler } as Record<string, GlobalRequest> } };
    ignoreHostKeysNotice(client as never);
    const wrapped = client._protocol._handlers.GLOBAL_REQUEST!;
    wrapped(undefined, 'hostkeys-00@openssh.com', false, Buffer.alloc(0));
    wrapped(undefined, 'keepalive@openssh.com', true, undefined);
    wrapped(undefined, 'hostkeys-00@openssh.com', true, Buffer.alloc(0));
    expect(calls).toEqual([
      ['keepalive@openssh.com', true],
      ['hostkeys-00@openssh.com', true],
    ]);
  });

  it('changes nothing where ssh2 keeps no such handler', () => {
    const client = { once: (_event: string, listener: () => void) => listener(), _protocol: undefined };
    expect(() => ignoreHostKeysNotice(client as never)).not.toThrow();
  });
});
