import { runLocal, runLocalChecked } from '../local/run.ts';
import { LAB_BRIDGE, LAB_GATEWAY } from './layout.ts';

/** Locally administered (02:...), fixed: see ensureLabNetwork. */
const LAB_BRIDGE_MAC = '02:00:0a:d5:00:01';

/** Creates the lab bridge once and raises the inotify limits that many booted containers need. */
export async function ensureLabNetwork(): Promise<void> {
  await runLocalChecked('sysctl', ['-q', '-w', 'fs.inotify.max_user_instances=8192', 'fs.inotify.max_user_watches=1048576']);
  const existing = await runLocal('ip', ['-o', 'addr', 'show', 'dev', LAB_BRIDGE]);
  if (existing.code !== 0) await runLocalChecked('ip', ['link', 'add', LAB_BRIDGE, 'type', 'bridge']);
  if (!existing.stdout.includes(`${LAB_GATEWAY}/24`)) await runLocalChecked('ip', ['addr', 'add', `${LAB_GATEWAY}/24`, 'dev', LAB_BRIDGE]);
  // A bridge without an address of its own takes the lowest MAC of its ports, so it changed MAC
  // whenever a host stopped, and the other hosts sent to the gateway's stale MAC until their ARP
  // entry expired: connections from a test file failed while another file stopped its hosts.
  await runLocalChecked('ip', ['link', 'set', LAB_BRIDGE, 'address', LAB_BRIDGE_MAC]);
  await runLocalChecked('ip', ['link', 'set', LAB_BRIDGE, 'up']);
}
