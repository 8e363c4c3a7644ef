import { fileResource, type FileSpec } from './file.ts';
import type { Resource } from './types.ts';

/** A systemd unit (or drop-in) file: written like any file, followed by `daemon-reload` only when it changed. */
export function unitFileResource(spec: FileSpec): Resource {
  const file = fileResource(spec);
  return {
    ...file,
    id: `unit ${spec.path}`,
    plan: async (facts) => ({ ...(await file.plan(facts)), resource: `unit ${spec.path}` }),
    async apply(connection, change, facts) {
      await file.apply(connection, change, facts);
      await connection.execChecked('systemctl daemon-reload', 'systemctl daemon-reload', { sudo: true });
    },
  };
}
