import type { HostFacts } from '../facts/host-facts.ts';

/** `when:` in a playbook: every named fact must have one of the listed values. */
export type Condition = Partial<Record<ConditionFact, string[]>>;

export const CONDITION_FACTS = ['arch', 'os', 'os_version', 'init', 'firewall'] as const;
export type ConditionFact = (typeof CONDITION_FACTS)[number];

function factValue(facts: HostFacts, name: ConditionFact): string {
  switch (name) {
    case 'arch':
      return facts.arch;
    case 'os':
      return facts.os.id;
    case 'os_version':
      return facts.os.version;
    case 'init':
      return facts.init;
    case 'firewall':
      return facts.firewall.kind;
  }
}

/** Undefined when the condition holds; otherwise why the step is skipped, e.g. "when arch is arm64 (host: amd64)". */
export function unmetCondition(condition: Condition | undefined, facts: HostFacts): string | undefined {
  for (const name of CONDITION_FACTS) {
    const allowed = condition?.[name];
    if (!allowed) continue;
    const actual = factValue(facts, name);
    if (!allowed.includes(actual)) return `when ${name} is ${allowed.join(' or ')} (host: ${actual})`;
  }
  return undefined;
}
