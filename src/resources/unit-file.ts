import { dirname } from 'node:path';
import { shellCommand } from '../connection/quote.ts';
import { fileResource, writeAtomically, type FileSpec } from './file.ts';
import type { Resource } from './types.ts';

/** A systemd unit or drop-in file: written like any file, followed by `daemon-reload` only when it changed. */
export function unitFileResource(spec: FileSpec): Resource {
  const file = fileResource(spec);
  return {
    ...file,
    id: `unit ${spec.path}`,
    plan: async (facts) => ({ ...(await file.plan(facts)), resource: `unit ${spec.path}` }),
    async apply(connection, change, facts) {
      if (change.diff) {
        // One command: the folder (a drop-in, NAME.service.d/override.conf, may be the first file of its folder), the write, the reload.
        await writeAtomically(connection, spec, { before: shellCommand('mkdir', '-p', dirname(spec.path)), after: 'systemctl daemon-reload' });
        return;
      }
      await file.apply(connection, change, facts);
      await connection.execChecked('systemctl daemon-reload', 'systemctl daemon-reload', { sudo: true });
    },
  };
}
