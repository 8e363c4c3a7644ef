import { HostError } from '../connection/errors.ts';
import { shellCommand, shellQuote } from '../connection/quote.ts';
import type { Connection } from '../connection/ssh.ts';
import { writeAtomically } from '../resources/file.ts';

// sshd keeps the first value it reads, and cloud images ship 50-cloud-init.conf: sort before it.
export const HARDENING_DROP_IN = '/etc/ssh/sshd_config.d/00-fleet-hardening.conf';
export const HARDENING_CONTENT = '# Managed by fleet bootstrap: keys only, no root login.\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin no\n';

/** `sshd -t` on the main config with the candidate drop-in read first, as sshd will read it. */
const VALIDATE = 't=$(mktemp) && { cat %s; cat /etc/ssh/sshd_config; } > "$t" && sshd -t -f "$t"; r=$?; rm -f "$t"; exit $r';
const RELOAD = 'systemctl reload ssh 2>/dev/null || systemctl reload sshd';

export type HardeningResult = 'same' | 'applied';

/**
 * Disables password and root logins with a drop-in that `sshd -t` accepted, reloads sshd, and
 * confirms that a new key login as the deploy user still works. If that fails, the previous
 * drop-in is put back and sshd reloaded, so the operator is never locked out.
 */
export async function hardenSshd(connection: Connection, confirm: () => Promise<void>, content = HARDENING_CONTENT): Promise<HardeningResult> {
  const current = await connection.exec(`cat ${shellQuote(HARDENING_DROP_IN)} 2>/dev/null || printf '__absent__'`, { sudo: true });
  if (current.stdout === content) return 'same';
  const previous = current.stdout === '__absent__' ? undefined : current.stdout;
  await writeAtomically(connection, { path: HARDENING_DROP_IN, content, mode: '0644', owner: 'root', group: 'root', validate: VALIDATE });
  const restore = async () => {
    if (previous === undefined) await connection.exec(`${shellCommand('rm', '-f', HARDENING_DROP_IN)} && ${RELOAD}`, { sudo: true });
    else {
      await writeAtomically(connection, { path: HARDENING_DROP_IN, content: previous, mode: '0644', owner: 'root', group: 'root' });
      await connection.exec(RELOAD, { sudo: true });
    }
  };
  try {
    await connection.execChecked('reload sshd', RELOAD, { sudo: true });
    const effective = await connection.execChecked('read the effective sshd settings', 'sshd -T 2>/dev/null | grep -Ei "^(passwordauthentication|permitrootlogin) "', { sudo: true });
    if (!/^passwordauthentication no$/im.test(effective) || !/^permitrootlogin no$/im.test(effective)) {
      throw new HostError('command', `the hardening drop-in is not in effect (sshd -T says: ${effective.trim().replace(/\n/g, ', ')}); an earlier file in /etc/ssh/sshd_config.d sets these first`);
    }
    await confirm();
  } catch (error) {
    await restore();
    const reason = error instanceof Error ? error.message : String(error);
    throw new HostError('command', `sshd hardening undone, the previous sshd config is back: ${reason}`);
  }
  return 'applied';
}
