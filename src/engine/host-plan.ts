import type { Connection } from '../connection/ssh.ts';
import { gatherFacts } from '../facts/gather.ts';
import type { Change, Resource } from '../resources/types.ts';

export interface HostPlan {
  changes: Change[];
}

/** Reads the host (one round trip for all facts, one more per changed file with --diff) and decides. Never writes. */
export async function planHost(connection: Connection, resources: readonly Resource[], options: { diff: boolean }): Promise<HostPlan> {
  const facts = await gatherFacts(connection, resources.flatMap((resource) => resource.facts()));
  const changes = resources.map((resource) => resource.plan(facts));
  if (options.diff) {
    await Promise.all(resources.map((resource, index) => (changes[index]!.action === 'same' ? undefined : resource.readBefore?.(connection, changes[index]!))));
  }
  return { changes };
}

/** Applies the planned changes in playbook order; stops at the first failing resource of this host. */
export async function applyHostPlan(connection: Connection, resources: readonly Resource[], plan: HostPlan, report: (step: string) => void): Promise<void> {
  for (const [index, resource] of resources.entries()) {
    const change = plan.changes[index]!;
    if (change.action === 'same') continue;
    report(resource.id);
    await resource.apply(connection, change);
  }
}

export function selectByTags(resources: readonly Resource[], tags: readonly string[]): Resource[] {
  return tags.length === 0 ? [...resources] : resources.filter((resource) => resource.tags.some((tag) => tags.includes(tag)));
}
