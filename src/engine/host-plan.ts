import { HostError } from '../connection/errors.ts';
import { runInOneRoundTrip } from '../connection/one-round-trip.ts';
import type { Connection } from '../connection/ssh.ts';
import { gatherFacts } from '../facts/gather.ts';
import { HOST_FACTS, parseHostFacts } from '../facts/host-facts.ts';
import type { ArtifactResource } from '../resources/artifact.ts';
import type { Verification } from '../resources/http-check.ts';
import type { ServiceResource } from '../resources/service.ts';
import type { Change, FactRequest, Facts, Resource } from '../resources/types.ts';
import { unmetCondition, type Condition } from './conditions.ts';

/** What the playbooks ask of one host, in order: resources to converge, then checks to prove it works. */
export interface HostProgram {
  resources: { resource: Resource; when?: Condition }[];
  checks: { check: Verification; when?: Condition }[];
}

export interface HostPlan {
  facts: Facts;
  changes: Change[];
}

/** Reads the host (one round trip for all facts, one more per changed file with --diff) and decides. Never writes. */
export async function planHost(connection: Connection, program: HostProgram, options: { diff: boolean; extraFacts?: FactRequest[] }): Promise<HostPlan> {
  const raw = await gatherFacts(connection, [...HOST_FACTS, ...program.resources.flatMap(({ resource }) => resource.facts()), ...(options.extraFacts ?? [])]);
  const facts: Facts = { raw, host: parseHostFacts(raw) };
  const changes = await Promise.all(
    program.resources.map(async ({ resource, when }): Promise<Change> => {
      const skipped = unmetCondition(when, facts.host);
      return skipped ? { resource: resource.id, action: 'skip', reason: skipped } : resource.plan(facts);
    }),
  );
  if (options.diff) {
    await Promise.all(program.resources.map(({ resource }, index) => (isChange(changes[index]!) ? resource.readBefore?.(connection, changes[index]!) : undefined)));
  }
  return { facts, changes };
}

export const isChange = (change: Change) => change.action !== 'same' && change.action !== 'skip';

/**
 * Applies the planned changes in playbook order, then runs the handlers (each notified service
 * restarted or reloaded once), and returns what the handlers did. Stops at the first failure.
 */
export async function applyHostPlan(connection: Connection, program: HostProgram, plan: HostPlan, report: (step: string) => void): Promise<Change[]> {
  const changed: Resource[] = [];
  for (const [index, { resource }] of program.resources.entries()) {
    const change = plan.changes[index]!;
    if (!isChange(change)) continue;
    report(resource.id);
    await resource.apply(connection, change, plan.facts);
    changed.push(resource);
  }
  return runHandlers(connection, program, changed, report);
}

/**
 * Reads the host again after changes and confirms every resource now matches: a change that did not
 * take (a rule another tool removed, a file rewritten by a package hook) is reported, not assumed.
 */
export async function confirmConverged(connection: Connection, program: HostProgram): Promise<void> {
  const again = await planHost(connection, program, { diff: false });
  const left = again.changes.filter(isChange);
  if (left.length) throw new HostError('verify', `after apply, still different: ${left.map((change) => `${change.resource} (${change.reason})`).join('; ')}`);
}

async function runHandlers(connection: Connection, program: HostProgram, changed: Resource[], report: (step: string) => void): Promise<Change[]> {
  const done: Change[] = [];
  const services = program.resources.map(({ resource }) => resource).filter((resource): resource is ServiceResource => 'service' in resource);
  for (const { service, id } of services) {
    const notifiers = changed.filter((resource) => resource.notify?.some((notify) => notify.service === service.name));
    if (notifiers.length === 0 || service.startedThisRun()) continue;
    const restart = notifiers.some((resource) => resource.notify!.some((notify) => notify.service === service.name && notify.action === 'restart'));
    const because = `because ${notifiers.map((resource) => resource.id).join(', ')} changed`;
    report(`${restart ? 'restart' : 'reload'} ${service.name}`);
    if (!restart) {
      await service.reload(connection);
      done.push({ resource: id, action: 'update', reason: `reloaded ${because}` });
      continue;
    }
    try {
      await service.restart(connection);
    } catch (error) {
      throw await rollBack(connection, service, notifiers, error);
    }
    done.push({ resource: id, action: 'update', reason: `restarted ${because}` });
  }
  return done;
}

/** A service that will not run its new binary gets the previous one back, so the host keeps working. */
async function rollBack(connection: Connection, service: ServiceResource['service'], notifiers: Resource[], error: unknown): Promise<unknown> {
  const artifacts = notifiers.filter((resource): resource is ArtifactResource => 'rollback' in resource);
  const restored: string[] = [];
  for (const artifact of artifacts) if (await artifact.rollback(connection)) restored.push(artifact.id);
  if (restored.length === 0 || !(error instanceof HostError)) return error;
  const recovered = await service.restart(connection).then(
    () => `the previous binary is back and ${service.name} runs again`,
    () => `the previous binary is back but ${service.name} still does not run`,
  );
  return new HostError(error.kind, `${error.message}\nrolled back ${restored.join(', ')}: ${recovered}`);
}

/**
 * Proves the endpoints answer: retried up to each check's deadline after apply, one attempt in check
 * mode. The first attempts of checks that run on the host share one round trip, so a converged host
 * costs one command for all its checks; only those not yet satisfied are retried one by one.
 */
export async function runChecks(connection: Connection, program: HostProgram, facts: Facts, options: { once: boolean }, report: (step: string) => void): Promise<Change[]> {
  const applicable = program.checks.map(({ check, when }) => ({ check, skipped: unmetCondition(when, facts.host) }));
  const batch = applicable.filter(({ check, skipped }) => !skipped && check.firstAttempt);
  const settled = new Map<Verification, Change>();
  if (batch.length > 1) {
    report('checks');
    const outputs = await runInOneRoundTrip(
      batch.map(({ check }) => check.firstAttempt!.command),
      async (script) => (await connection.exec(script)).stdout,
    );
    batch.forEach(({ check }, index) => {
      const change = check.firstAttempt!.judge(outputs[index]!);
      if (change) settled.set(check, change);
    });
  }
  const results: Change[] = [];
  for (const { check, skipped } of applicable) {
    if (skipped) {
      results.push({ resource: check.id, action: 'skip', reason: skipped });
      continue;
    }
    const done = settled.get(check);
    if (done) {
      results.push(done);
      continue;
    }
    report(check.id);
    results.push(await check.verify(connection, options));
  }
  return results;
}

export function selectByTags(program: HostProgram, tags: readonly string[]): HostProgram {
  if (tags.length === 0) return program;
  const wanted = (item: { tags: string[] }) => item.tags.some((tag) => tags.includes(tag));
  return { resources: program.resources.filter(({ resource }) => wanted(resource)), checks: program.checks.filter(({ check }) => wanted(check)) };
}
