import { HostError } from '../connection/errors.ts';
import { TunnelRefused } from '../connection/tunnel-http.ts';
import type { Connection } from '../connection/ssh.ts';
import { gatherFacts, readInOneRoundTrip } from '../facts/gather.ts';
import { HOST_FACTS, parseHostFacts } from '../facts/host-facts.ts';
import type { ArtifactResource } from '../resources/artifact.ts';
import type { Verification } from '../resources/http-check.ts';
import type { ServiceResource } from '../resources/service.ts';
import type { Change, FactRequest, FactSource, Facts, Notify, Resource } from '../resources/types.ts';
import { unmetCondition, type Condition } from './conditions.ts';
import { recordPendingCommand, strongerAction, type PendingHandler } from './pending-handlers.ts';

/** What the playbooks ask of one host, in order: resources to converge, then checks to prove it works. */
export interface HostProgram {
  resources: { resource: Resource; when?: Condition }[];
  checks: { check: Verification; when?: Condition }[];
}

export interface HostPlan {
  facts: Facts;
  changes: Change[];
  /** Output of the checks' first attempts, read in the facts round trip (valid while nothing changes). */
  probes: ReadonlyMap<Verification, string>;
}

/**
 * Reads the host and decides; never writes. One round trip reads every fact and makes every check's
 * first attempt (read-only probes), so a converged host costs one command; one more per changed file with --diff.
 */
export async function planHost(connection: Connection, program: HostProgram, options: { diff: boolean; verifyHashes?: boolean; extraFacts?: FactRequest[] }): Promise<HostPlan> {
  const probed = program.checks.map(({ check }) => check).filter((check) => check.firstAttempt);
  const tunnelled = connection.tunnelsRefused ? [] : probed.filter((check) => check.firstAttempt!.throughTunnel);
  const scripted = probed.filter((check) => !tunnelled.includes(check));
  const probeKey = (index: number) => `probe:${index}`;
  // An extra fact that asks what a tunnelled check asks (fleet status reads versions from a check's answer) takes that answer.
  const extras = (options.extraFacts ?? []).map((request) => ({ request, check: tunnelled.find((check) => sameSource(request, check.firstAttempt!.source)) }));
  const [raw, tunnelProbes] = await Promise.all([
    gatherFacts(connection, [
      ...scripted.map((check, index): FactRequest => ({ key: probeKey(index), ...check.firstAttempt!.source })),
      ...HOST_FACTS,
      ...program.resources.flatMap(({ resource }) => resource.facts()),
      ...extras.filter(({ check }) => !check).map(({ request }) => request),
    ], { verifyHashes: options.verifyHashes }),
    probeThroughTunnels(connection, tunnelled),
  ]);
  const probes = new Map([...scripted.map((check, index) => [check, raw.get(probeKey(index)) ?? ''] as const), ...tunnelProbes]);
  for (const { request, check } of extras) if (check) raw.set(request.key, probes.get(check) ?? '');
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
  return { facts, changes, probes };
}

const sameSource = (request: FactSource, source: FactSource) =>
  'reader' in request && 'reader' in source ? request.reader.name === source.reader.name && request.arg === source.arg : 'command' in request && 'command' in source && request.command === source.command;

/**
 * The checks' first attempts through SSH tunnels, side by side with the facts round trip. Where the
 * host's sshd refuses tunnels, those attempts are made by the host's curl in one command of their own
 * (this run's later attempts too), as they were before tunnels.
 */
async function probeThroughTunnels(connection: Connection, checks: readonly Verification[]): Promise<[Verification, string][]> {
  const outputs = await Promise.all(checks.map((check) => check.firstAttempt!.throughTunnel!(connection).catch((error: unknown) => (error instanceof TunnelRefused ? undefined : ''))));
  const refused = checks.filter((_, index) => outputs[index] === undefined);
  const answered = checks.map((check, index): [Verification, string] => [check, outputs[index] ?? '']).filter(([check]) => !refused.includes(check));
  if (refused.length === 0) return answered;
  const again = await readInOneRoundTrip(
    refused.map((check, index) => ({ key: String(index), ...check.firstAttempt!.source })),
    async (script) => (await connection.exec(script, { name: 'checks' })).stdout,
  );
  return [...answered, ...refused.map((check, index): [Verification, string] => [check, again.get(String(index)) ?? ''])];
}

/**
 * The whole run on one host: plan, and unless checking, apply, re-read and confirm; then the checks.
 * A host where nothing changes costs exactly one command: the checks use the probes of the plan's round trip.
 */
export async function convergeHost(connection: Connection, program: HostProgram, run: ConvergeHostRun, report: (step: string) => void, changes: Change[] = []): Promise<Change[]> {
  report('facts');
  const plan = await planHost(connection, program, { diff: run.diff, verifyHashes: run.verifyHashes, extraFacts: run.extraFacts });
  changes.push(...plan.changes);
  await run.onPlan?.(plan);
  let probes = plan.probes;
  if (!run.check) {
    await keepRecordsCurrent(connection, program, plan);
    changes.push(...(await applyHostPlan(connection, program, plan, report)));
    if (changes.some(isChange)) {
      report('re-check');
      probes = await confirmConverged(connection, program);
    }
  }
  changes.push(...(await runChecks(connection, program, plan.facts, { once: run.check, probes }, report)));
  if (!run.check) await run.afterApply?.(changes);
  return changes;
}

export interface ConvergeHostRun {
  check: boolean;
  diff: boolean;
  verifyHashes?: boolean;
  /** More read-only commands for the facts round trip; their outputs are in the plan's facts. */
  extraFacts?: FactRequest[];
  /** Called with the plan before anything changes (fleet's host record is written here when applying). */
  onPlan?(plan: HostPlan): Promise<void>;
  /** Called after a successful apply and its checks. */
  afterApply?(changes: readonly Change[]): Promise<void>;
}

/** Runs the upkeep of unchanged resources (one command, and only when a record was stale). */
async function keepRecordsCurrent(connection: Connection, program: HostProgram, plan: HostPlan): Promise<void> {
  const commands = program.resources.flatMap(({ resource }, index) => (plan.changes[index]!.action === 'same' ? (resource.upkeep?.(plan.facts) ?? []) : []));
  if (commands.length) await connection.execChecked('record installed binaries', commands.join(' && '), { sudo: true });
}

export const isChange = (change: Change) => change.action !== 'same' && change.action !== 'skip';

/**
 * Applies the planned changes in playbook order, then runs the handlers (each notified service
 * restarted or reloaded once), and returns what the handlers did. Stops at the first failure.
 * Before a change that notifies a service, the owed restart is recorded on the host, so a failure
 * or an interruption before the handlers leaves it for the next run instead of forgetting it.
 */
export async function applyHostPlan(connection: Connection, program: HostProgram, plan: HostPlan, report: (step: string) => void): Promise<Change[]> {
  const changed: Resource[] = [];
  const recorded = new Map(servicesOf(program).map(({ service }) => [service.name, service.pendingFrom(plan.facts)?.action]));
  for (const [index, { resource }] of program.resources.entries()) {
    const change = plan.changes[index]!;
    if (!isChange(change)) continue;
    report(resource.id);
    await recordOwedHandlers(connection, resource, recorded);
    await resource.apply(connection, change, plan.facts);
    changed.push(resource);
  }
  return runHandlers(connection, program, plan.facts, changed, report);
}

function servicesOf(program: HostProgram): ServiceResource[] {
  return program.resources.map(({ resource }) => resource).filter((resource): resource is ServiceResource => 'service' in resource);
}

/** Writes (in one command) the records this resource's notifications add to what the host already owes. */
async function recordOwedHandlers(connection: Connection, resource: Resource, recorded: Map<string, Notify['action'] | undefined>): Promise<void> {
  const records = new Map<string, PendingHandler>();
  for (const { service, action } of resource.notify ?? []) {
    // Only services this program runs handlers for; a stronger record already there stays.
    if (!recorded.has(service) || strongerAction(recorded.get(service), action) === recorded.get(service)) continue;
    records.set(service, { action, because: resource.id });
    recorded.set(service, action);
  }
  if (records.size) await connection.execChecked('record the pending restart', recordPendingCommand(records), { sudo: true });
}

/**
 * Reads the host again after changes and confirms every resource now matches: a change that did not
 * take (a rule another tool removed, a file rewritten by a package hook) is reported, not assumed.
 */
export async function confirmConverged(connection: Connection, program: HostProgram): Promise<ReadonlyMap<Verification, string>> {
  const again = await planHost(connection, program, { diff: false });
  const left = again.changes.filter(isChange);
  if (left.length) throw new HostError('verify', `after apply, still different: ${left.map((change) => `${change.resource} (${change.reason})`).join('; ')}`);
  return again.probes;
}

async function runHandlers(connection: Connection, program: HostProgram, facts: Facts, changed: Resource[], report: (step: string) => void): Promise<Change[]> {
  const done: Change[] = [];
  for (const { service, id } of servicesOf(program)) {
    const notifiers = changed.filter((resource) => resource.notify?.some((notify) => notify.service === service.name));
    const owed = service.pendingFrom(facts);
    if (notifiers.length === 0 && !owed) continue;
    if (service.startedThisRun()) {
      // Started with the new binary and config: nothing left to restart.
      await service.clearPending(connection);
      continue;
    }
    const notified = notifiers.some((resource) => resource.notify!.some((notify) => notify.service === service.name && notify.action === 'restart')) ? 'restart' : notifiers.length ? 'reload' : undefined;
    const restart = strongerAction(notified, owed?.action) === 'restart';
    const because = [notifiers.length ? `${notifiers.map((resource) => resource.id).join(', ')} changed` : '', owed ? `pending since an earlier run (${owed.because})` : ''].filter(Boolean).join('; ');
    report(`${restart ? 'restart' : 'reload'} ${service.name}`);
    if (!restart) {
      await service.reload(connection);
      done.push({ resource: id, action: 'update', reason: `reloaded because ${because}` });
      continue;
    }
    try {
      await service.restart(connection);
    } catch (error) {
      throw await rollBack(connection, service, notifiers, error);
    }
    done.push({ resource: id, action: 'update', reason: `restarted because ${because}` });
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
 * mode. First attempts come from `probes` (made in the facts round trip) when given, else share one
 * round trip of their own; only checks not yet satisfied are retried one by one.
 */
export async function runChecks(connection: Connection, program: HostProgram, facts: Facts, options: { once: boolean; probes?: ReadonlyMap<Verification, string> }, report: (step: string) => void): Promise<Change[]> {
  const applicable = program.checks.map(({ check, when }) => ({ check, skipped: unmetCondition(when, facts.host) }));
  const batch = applicable.filter(({ check, skipped }) => !skipped && check.firstAttempt);
  const settled = new Map<Verification, Change>();
  const probes = options.probes;
  if (probes) {
    for (const { check } of batch) {
      const output = probes.get(check);
      const change = output === undefined ? undefined : check.firstAttempt!.judge(output);
      if (change) settled.set(check, change);
    }
  } else if (batch.length > 1) {
    report('checks');
    const outputs = await readInOneRoundTrip(
      batch.map(({ check }, index) => ({ key: String(index), ...check.firstAttempt!.source })),
      async (script) => (await connection.exec(script)).stdout,
    );
    batch.forEach(({ check }, index) => {
      const change = check.firstAttempt!.judge(outputs.get(String(index)) ?? '');
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

export interface TagSelection {
  /** Only tasks with one of these tags (all when empty). */
  tags: readonly string[];
  /** Never tasks with one of these tags. */
  skipTags?: readonly string[];
}

/**
 * The tasks the tags select, plus what keeps them correct (Ansible's handlers follow the tasks that
 * notify them): the services they notify, so a changed config is still reloaded, and the checks
 * that prove those services answer. A skipped tag removes checks, never a handler a kept task needs.
 */
export function selectByTags(program: HostProgram, selection: TagSelection): HostProgram {
  const { tags, skipTags = [] } = selection;
  if (tags.length === 0 && skipTags.length === 0) return program;
  const chosen = (item: { tags: string[] }) => (tags.length === 0 || item.tags.some((tag) => tags.includes(tag))) && !item.tags.some((tag) => skipTags.includes(tag));
  const resources = program.resources.filter(({ resource }) => chosen(resource));
  const notified = new Set(resources.flatMap(({ resource }) => resource.notify?.map((notify) => notify.service) ?? []));
  const isNotifiedService = (resource: Resource) => 'service' in resource && notified.has((resource as ServiceResource).service.name);
  const services = new Set([...notified, ...resources.filter(({ resource }) => 'service' in resource).map(({ resource }) => (resource as ServiceResource).service.name)]);
  return {
    resources: program.resources.filter((entry) => resources.includes(entry) || isNotifiedService(entry.resource)),
    checks: program.checks.filter(({ check }) => chosen(check) || (check.service !== undefined && services.has(check.service) && !check.tags.some((tag) => skipTags.includes(tag)))),
  };
}
