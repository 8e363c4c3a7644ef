import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { loadInventory } from '../../../src/inventory/load.ts';
import { parseShard } from '../../../src/inventory/shard.ts';
import { writeTempFiles } from '../../helpers/temp-files.ts';

// A model of the Kubernetes fields the examples use (no schema package needed): strict where a typo would
// silently change behaviour, so a misspelt completionMode or mountPath fails here instead of in a cluster.
const name = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
const metadata = z.strictObject({ name, namespace: name });
const volumeMount = z.strictObject({ name, mountPath: z.string().startsWith('/'), readOnly: z.boolean().optional() });
const container = z.strictObject({
  name,
  image: z.string().min(1),
  command: z.array(z.string()).min(1),
  env: z.array(z.strictObject({ name: z.string().regex(/^[A-Z_][A-Z0-9_]*$/), value: z.string() })).optional(),
  volumeMounts: z.array(volumeMount),
});
const volume = z.strictObject({
  name,
  configMap: z.strictObject({ name, items: z.array(z.strictObject({ key: z.string(), path: z.string() })).optional() }).optional(),
  secret: z.strictObject({ secretName: name, defaultMode: z.number().int().min(0).max(0o777).optional() }).optional(),
  emptyDir: z.strictObject({}).optional(),
});
const podSpec = z.strictObject({ restartPolicy: z.enum(['Never', 'OnFailure']), containers: z.array(container).min(1), volumes: z.array(volume) });
const indexedJobSpec = z.strictObject({
  completionMode: z.literal('Indexed'),
  completions: z.number().int().positive(),
  parallelism: z.number().int().positive(),
  backoffLimitPerIndex: z.number().int().min(0).optional(),
  template: z.strictObject({ spec: podSpec }),
});
const manifest = z.discriminatedUnion('kind', [
  z.strictObject({ apiVersion: z.literal('v1'), kind: z.literal('ConfigMap'), metadata, data: z.record(z.string(), z.string()) }),
  z.strictObject({ apiVersion: z.literal('v1'), kind: z.literal('Secret'), metadata, type: z.literal('Opaque'), stringData: z.record(z.string(), z.string()) }),
  z.strictObject({ apiVersion: z.literal('batch/v1'), kind: z.literal('Job'), metadata, spec: indexedJobSpec }),
  z.strictObject({
    apiVersion: z.literal('batch/v1'),
    kind: z.literal('CronJob'),
    metadata,
    spec: z.strictObject({ schedule: z.string().regex(/^(\S+\s+){4}\S+$/), concurrencyPolicy: z.enum(['Allow', 'Forbid', 'Replace']), jobTemplate: z.strictObject({ spec: indexedJobSpec }) }),
  }),
]);
type Manifest = z.infer<typeof manifest>;

const EXAMPLES = join(import.meta.dirname, '../../../examples');
const readYaml = (file: string) => parseAllDocuments(readFileSync(file, 'utf8')).map((document) => document.toJS() as unknown);

describe('examples/kubernetes', () => {
  const files = readdirSync(join(EXAMPLES, 'kubernetes')).filter((file) => file.endsWith('.yaml'));
  const manifests: Manifest[] = files.flatMap((file) => readYaml(join(EXAMPLES, 'kubernetes', file)).map((document) => manifest.parse(document)));
  const byKind = <K extends Manifest['kind']>(kind: K) => manifests.filter((item): item is Extract<Manifest, { kind: K }> => item.kind === kind);

  it('has an Indexed Job for apply and a CronJob for the drift check, each sharded by its completion index over all its completions', () => {
    const jobs = [...byKind('Job').map((job) => job.spec), ...byKind('CronJob').map((cron) => cron.spec.jobTemplate.spec)];
    expect(byKind('Job')).toHaveLength(1);
    expect(byKind('CronJob')).toHaveLength(1);
    for (const spec of jobs) {
      const [fleet] = spec.template.spec.containers;
      const script = fleet!.command.join(' ');
      expect(script).toMatch(/fleet (apply|check) \/etc\/fleet\/inventory\/inventory\.yaml --shard "\$JOB_COMPLETION_INDEX\/\$SHARDS"/);
      const shards = fleet!.env!.find((variable) => variable.name === 'SHARDS')!.value;
      expect(Number(shards)).toBe(spec.completions);
      expect(spec.parallelism).toBe(spec.completions);
      expect(() => parseShard(`${spec.completions - 1}/${shards}`)).not.toThrow();
      // Every mount has its volume, and every volume's ConfigMap, key or Secret exists in the folder.
      for (const mount of fleet!.volumeMounts) expect(spec.template.spec.volumes.map((item) => item.name)).toContain(mount.name);
      for (const item of spec.template.spec.volumes) {
        if (item.configMap) {
          const map = byKind('ConfigMap').find((candidate) => candidate.metadata.name === item.configMap!.name);
          expect(map, item.configMap.name).toBeDefined();
          for (const key of item.configMap.items ?? []) expect(Object.keys(map!.data)).toContain(key.key);
        }
        if (item.secret) expect(byKind('Secret').map((secret) => secret.metadata.name)).toContain(item.secret.secretName);
        if (item.secret) expect(item.secret.defaultMode).toBe(0o400);
      }
    }
    const check = byKind('CronJob')[0]!.spec.jobTemplate.spec.template.spec.containers[0]!.command.join(' ');
    expect(check).toContain('--metrics-file /metrics/fleet.prom');
    expect(check).toContain('@/metrics/fleet.shard-$JOB_COMPLETION_INDEX-of-$SHARDS.prom');
  });

  it('ships an inventory that fleet accepts, with host keys pinned to the mounted known_hosts and the mounted key', async () => {
    const [map] = byKind('ConfigMap');
    const dir = writeTempFiles({ 'inventory.yaml': map!.data['inventory.yaml']! });
    const inventory = await loadInventory(join(dir, 'inventory.yaml'));
    expect(inventory.raw.defaults?.ssh).toMatchObject({ host_key_checking: 'strict', known_hosts_file: '/etc/fleet/known_hosts/known_hosts', identity_file: '/etc/fleet/ssh/id_ed25519' });
    const pinned = map!.data.known_hosts!.trim().split('\n').map((line) => line.split(' ')[0]);
    expect(pinned.sort()).toEqual(inventory.hosts.map((host) => host.entry.address).sort());
  });
});

describe('examples/github-actions', () => {
  const workflow = z.strictObject({
    name: z.string(),
    on: z.record(z.string(), z.unknown()),
    jobs: z.record(
      z.string(),
      z.strictObject({
        'runs-on': z.string(),
        strategy: z.strictObject({ 'fail-fast': z.boolean(), matrix: z.strictObject({ shard: z.array(z.number().int().min(0)) }) }),
        env: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
        steps: z.array(z.strictObject({ name: z.string().optional(), uses: z.string().optional(), with: z.record(z.string(), z.unknown()).optional(), run: z.string().optional(), if: z.string().optional(), env: z.record(z.string(), z.string()).optional() })),
      }),
    ),
  });

  it('runs one job per shard, 0..N-1, each with --shard matrix.shard/N', () => {
    const parsed = workflow.parse(readYaml(join(EXAMPLES, 'github-actions', 'fleet.yml'))[0]);
    for (const job of Object.values(parsed.jobs)) {
      const shards = job.strategy.matrix.shard;
      expect(shards).toEqual(shards.map((_, index) => index));
      const runs = job.steps.flatMap((step) => (step.run?.startsWith('fleet ') ? [step.run] : []));
      expect(runs.length).toBeGreaterThan(0);
      for (const run of runs) expect(run).toContain(`--shard \${{ matrix.shard }}/${shards.length}`);
    }
  });
});
