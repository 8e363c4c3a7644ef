import { HostError } from '../connection/errors.ts';
import type { FirewallKind } from '../firewall/detect.ts';
import { firewalldBackend } from '../firewall/firewalld.ts';
import { iptablesBackend } from '../firewall/iptables.ts';
import { nftablesBackend } from '../firewall/nftables.ts';
import { ruleTag, type FirewallBackend, type RuleChange } from '../firewall/rules.ts';
import { ufwBackend } from '../firewall/ufw.ts';
import type { Change, Resource } from './types.ts';

export interface FirewallPortSpec {
  port: number;
  /** Addresses or CIDRs allowed to connect; empty means everyone. */
  sources: string[];
  /** Names the controller resolved into `sources` (`monitor1 -> 10.0.0.5`), said in the plan. */
  resolved?: string[];
  state: 'present' | 'absent';
  tags?: string[];
}

const BACKENDS: Record<Exclude<FirewallKind, 'none'>, FirewallBackend> = {
  ufw: ufwBackend,
  firewalld: firewalldBackend,
  nftables: nftablesBackend,
  iptables: iptablesBackend,
};

function ruleChange(spec: FirewallPortSpec, current: string[]): RuleChange {
  const desired = spec.state === 'absent' ? [] : spec.sources.length ? [...new Set(spec.sources)] : ['any'];
  return { desired, add: desired.filter((source) => !current.includes(source)), remove: current.filter((source) => !desired.includes(source)) };
}

/** Opens (or closes) a TCP port on whichever firewall the host runs, touching only rules fleet tagged. */
export function firewallPortResource(spec: FirewallPortSpec): Resource {
  const id = `firewall ${spec.port}/tcp`;
  const tag = ruleTag(spec.port);
  const describe = (sources: string[]) => (sources.length === 0 ? 'closed' : sources.includes('any') ? 'open to all' : `open to ${sources.join(', ')}`);
  const names = spec.resolved?.length ? `; resolved on the controller: ${spec.resolved.join('; ')}` : '';
  return {
    id,
    tags: spec.tags ?? [],
    facts: () => [],
    plan({ host }): Change {
      const kind = host.firewall.kind;
      if (kind === 'none') {
        return { resource: id, action: 'same', reason: `no active firewall on the host (ufw, firewalld, nftables, iptables): ${spec.state === 'present' ? 'the port is not filtered' : 'nothing to close'}` };
      }
      const current = BACKENDS[kind].current(host.firewall, spec.port, tag);
      const change = ruleChange(spec, current.sources);
      const unpersisted = current.persisted && [...current.persisted].sort().join() !== [...change.desired].sort().join();
      if (change.add.length === 0 && change.remove.length === 0 && !unpersisted) return { resource: id, action: 'same', reason: `${kind}: ${describe(change.desired)}${names}` };
      const action = current.sources.length === 0 ? 'create' : change.desired.length === 0 ? 'delete' : 'update';
      const reason = change.add.length || change.remove.length ? `${kind}: ${describe(current.sources)} -> ${describe(change.desired)}` : `${kind}: rules not saved for the next boot`;
      return { resource: id, action, reason: `${reason}${names}` };
    },
    async apply(connection, _change, { host }) {
      const kind = host.firewall.kind;
      if (kind === 'none') throw new HostError('command', `${id}: no active firewall`);
      const backend = BACKENDS[kind];
      const change = ruleChange(spec, backend.current(host.firewall, spec.port, tag).sources);
      await connection.execChecked(`${kind}: ${id}`, backend.script(host.firewall, spec.port, tag, change), { sudo: true });
    },
  };
}
