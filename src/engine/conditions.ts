import type { HostFacts } from '../facts/host-facts.ts';

/**
 * `when:` in a playbook: every named fact must have one of the listed values, and every named variable
 * one of its listed values. Declarative on purpose: no expressions, so a typo is an error at load time.
 */
export type Condition = Partial<Record<ConditionFact, string[]>> & { vars?: VarsCondition };

/** Variable paths (`node_exporter.enabled`) and the values that let the task run. */
export type VarsCondition = Record<string, VarValue[]>;
export type VarValue = string | number | boolean | null;

/** Every fact fleet gathers about a host, by the name `when:` uses. */
const FACT_VALUES = {
  arch: (facts: HostFacts) => facts.arch,
  machine: (facts: HostFacts) => facts.machine,
  os: (facts: HostFacts) => facts.os.id,
  os_version: (facts: HostFacts) => facts.os.version,
  os_family: (facts: HostFacts) => facts.os.family,
  init: (facts: HostFacts) => facts.init,
  firewall: (facts: HostFacts) => facts.firewall.kind,
  package_manager: (facts: HostFacts) => facts.packageManager,
} satisfies Record<string, (facts: HostFacts) => string>;

export type ConditionFact = keyof typeof FACT_VALUES;
export const CONDITION_FACTS = Object.keys(FACT_VALUES) as ConditionFact[];

/** Undefined when the condition holds; otherwise why the step is skipped, e.g. "when arch is arm64 (host: amd64)". */
export function unmetCondition(condition: Condition | undefined, facts: HostFacts): string | undefined {
  for (const name of CONDITION_FACTS) {
    const allowed = condition?.[name];
    if (!allowed) continue;
    const actual = FACT_VALUES[name](facts);
    if (!allowed.includes(actual)) return `when ${name} is ${allowed.join(' or ')} (host: ${actual})`;
  }
  return undefined;
}

/**
 * The same for variables, which the controller knows before connecting. A variable holding a list
 * matches when it contains one of the values; an unset one matches nothing (but `null`).
 */
export function unmetVarsCondition(condition: VarsCondition | undefined, vars: Record<string, unknown>): string | undefined {
  for (const [path, allowed] of Object.entries(condition ?? {})) {
    const actual = valueAtPath(vars, path);
    const holds = Array.isArray(actual) ? actual.some((item) => allowed.includes(item as VarValue)) : allowed.includes((actual ?? null) as VarValue);
    if (!holds) return `when vars.${path} is ${allowed.map((value) => JSON.stringify(value)).join(' or ')} (host: ${actual === undefined ? 'not set' : JSON.stringify(actual)})`;
  }
  return undefined;
}

function valueAtPath(vars: Record<string, unknown>, path: string): unknown {
  let value: unknown = vars;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
