import type { ClientChannel } from 'ssh2';

// Far above any fact or check fleet reads (config files, unit state), far below what would hurt the
// controller when a host streams without end.
export const DEFAULT_OUTPUT_CAP_BYTES = 16 * 1024 * 1024;

/**
 * Counts what a command sends on stdout and stderr together; past `maxBytes` it stops reading,
 * closes the channel (the remote command gets SIGPIPE) and calls `onExceeded` once.
 */
export function capChannelOutput(channel: ClientChannel, maxBytes: number, onExceeded: () => void): void {
  let received = 0;
  let exceeded = false;
  const count = (chunk: Buffer) => {
    received += chunk.length;
    if (exceeded || received <= maxBytes) return;
    exceeded = true;
    channel.pause();
    channel.stderr.pause();
    channel.close();
    onExceeded();
  };
  channel.on('data', count);
  channel.stderr.on('data', count);
}

export function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MiB` : bytes >= 1024 ? `${bytes / 1024} KiB` : `${bytes} bytes`;
}
