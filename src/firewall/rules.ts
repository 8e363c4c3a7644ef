import type { FirewallState } from './detect.ts';

/** What a port's rules must become: sources to add and to remove; `desired` is the full wanted list. */
export interface RuleChange {
  add: string[];
  remove: string[];
  desired: string[];
}

/**
 * One firewall's way of reading and changing fleet's rules for a port. Every rule fleet adds carries
 * the tag `fleet PORT/tcp`, so fleet never touches a rule it did not write.
 */
export interface FirewallBackend {
  /** Sources fleet's rules allow now ('any' for everyone); `persisted` when the firewall keeps runtime and boot rules apart. */
  current(state: FirewallState, port: number, tag: string): { sources: string[]; persisted?: string[] };
  /** One shell script (run as root) that makes the change and persists it. */
  script(state: FirewallState, port: number, tag: string, change: RuleChange): string;
}

export function ruleTag(port: number): string {
  return `fleet ${port}/tcp`;
}
