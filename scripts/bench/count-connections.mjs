// Preloaded into fleet's process by the benchmark (node --import): counts, per host, what fleet does at
// the SSH layer (sessions, commands, SFTP bytes, bytes on the wire) and writes it to
// $FLEET_BENCH_COUNTERS when the process exits. Plain JavaScript, so measuring adds no transpiler.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const output = process.env.FLEET_BENCH_COUNTERS;
// fleet's own copy of ssh2 (the one node-ssh loads), resolved from the project root.
const require = createRequire(new URL('../../package.json', import.meta.url));
const { Client } = require('ssh2');
const { SFTP } = require('ssh2/lib/protocol/SFTP.js');

/** host:port -> counters; a host may be reached by several sessions (registration, jump hosts). */
const hosts = new Map();
// Only sessions still open are held here, so counting keeps no closed session alive (fleet's memory is measured too).
const open = new Set();

function countersOf(client) {
  const key = client.__benchHost;
  if (!key) return undefined;
  if (!hosts.has(key)) hosts.set(key, { sessions: 0, commands: 0, sftpSessions: 0, sftpBytesWritten: 0, wireBytesSent: 0, wireBytesReceived: 0 });
  return hosts.get(key);
}

/** Bytes of a session's socket, added once when the session ends (or at exit for one still open). */
function settle(client) {
  const counters = countersOf(client);
  const socket = client._sock;
  if (!counters || !socket || client.__benchSettled || typeof socket.bytesWritten !== 'number') return;
  client.__benchSettled = true;
  counters.wireBytesSent += socket.bytesWritten;
  counters.wireBytesReceived += socket.bytesRead;
}

const connect = Client.prototype.connect;
Client.prototype.connect = function (config) {
  this.__benchHost = `${config.host}:${config.port ?? 22}`;
  countersOf(this).sessions += 1;
  open.add(this);
  this.once('close', () => {
    settle(this);
    open.delete(this);
  });
  return connect.apply(this, arguments);
};

const exec = Client.prototype.exec;
Client.prototype.exec = function () {
  const counters = countersOf(this);
  if (counters) counters.commands += 1;
  return exec.apply(this, arguments);
};

const sftp = Client.prototype.sftp;
Client.prototype.sftp = function () {
  const counters = countersOf(this);
  if (counters) counters.sftpSessions += 1;
  return sftp.apply(this, arguments);
};

const write = SFTP.prototype.write;
SFTP.prototype.write = function (handle, buffer, offset, length) {
  const counters = countersOf(this._client);
  if (counters && typeof length === 'number') counters.sftpBytesWritten += length;
  return write.apply(this, arguments);
};

process.on('exit', () => {
  if (!output) return;
  for (const client of open) settle(client);
  writeFileSync(output, `${JSON.stringify(Object.fromEntries(hosts), null, 2)}\n`);
});
