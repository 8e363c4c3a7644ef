import { isMap, isScalar, isSeq, parseDocument, stringify } from 'yaml';
import { targetFileGlob } from './shard-files.ts';
import type { FleetJob } from './targets.ts';

const BEGIN = '# BEGIN fleet managed scrape jobs: rewritten by `fleet apply`, edit outside this block';
const END = '# END fleet managed scrape jobs';

/**
 * The text without fleet's block. Only whole lines equal to the markers count (a comment that merely
 * starts like one is the operator's), and there must be one BEGIN, then one END, or none of either:
 * anything else is refused, since guessing which lines are fleet's could delete the operator's jobs.
 */
function withoutFleetBlock(text: string): string {
  const lines = text.split('\n');
  const at = (marker: string) => lines.flatMap((line, index) => (line.trim() === marker ? [index] : []));
  const begins = at(BEGIN);
  const ends = at(END);
  if (begins.length === 0 && ends.length === 0) return text;
  if (begins.length !== 1 || ends.length !== 1 || ends[0]! < begins[0]!) {
    const where = [...begins.map((index) => `BEGIN on line ${index + 1}`), ...ends.map((index) => `END on line ${index + 1}`)].join(', ');
    throw new Error(`fleet's marker lines are not one BEGIN followed by one END (${where}); keep exactly one pair around fleet's jobs, or remove both and fleet adds its block again`);
  }
  return [...lines.slice(0, begins[0]), ...lines.slice(ends[0]! + 1)].join('\n');
}

/** What a fleet job needs beyond its targets: credentials, and HTTPS with the CA to trust. */
export interface JobSettings {
  scheme?: 'https';
  basic_auth?: { username: string; password_file: string };
  tls_config?: { ca_file?: string; insecure_skip_verify?: boolean };
}

/**
 * Ensures fleet's scrape jobs in prometheus.yml inside a marked block at the end of scrape_configs.
 * The edit is textual, so every other byte of the operator's file (jobs, comments, spacing) stays.
 */
export function ensureFleetJobs(text: string, jobs: readonly FleetJob[], fileSdDir: string, scrapeInterval?: string, settings?: Partial<Record<FleetJob['name'], JobSettings>>): string {
  const edited = insertFleetJobs(text, jobs, fileSdDir, scrapeInterval, settings);
  // A value inside the block (a user name, a path) that renders as a marker line would break the next run.
  const valueMakesMarker = () => new Error("a value in fleet's scrape jobs (a user name or a path) would write a line equal to one of fleet's markers; refusing to write prometheus.yml");
  try {
    if (withoutFleetBlock(edited) === edited) throw valueMakesMarker();
  } catch {
    throw valueMakesMarker();
  }
  return edited;
}

function insertFleetJobs(text: string, jobs: readonly FleetJob[], fileSdDir: string, scrapeInterval?: string, settings?: Partial<Record<FleetJob['name'], JobSettings>>): string {
  const withoutBlock = withoutFleetBlock(text);
  const document = parseDocument(withoutBlock);
  if (document.errors.length) throw new Error(`cannot parse as YAML: ${document.errors[0]!.message}`);
  if (withoutBlock.trim() && !isMap(document.contents)) throw new Error('expected a mapping at the top of the file');
  const items = jobs.map((job) => ({
    job_name: job.name,
    ...(scrapeInterval ? { scrape_interval: scrapeInterval } : {}),
    ...settings?.[job.name],
    file_sd_configs: [{ files: [`${fileSdDir}/${targetFileGlob(job)}`] }],
  }));
  const block = (indent: string) => [BEGIN, ...stringify(items).trimEnd().split('\n'), END].map((line) => `${indent}${line}`).join('\n') + '\n';

  const scrapeConfigs = isMap(document.contents) ? document.contents.items.find((pair) => String((pair.key as { value?: unknown })?.value) === 'scrape_configs') : undefined;
  if (!scrapeConfigs) return `${withoutBlock}${withoutBlock && !withoutBlock.endsWith('\n') ? '\n' : ''}scrape_configs:\n${block('  ')}`;
  const seq = scrapeConfigs.value;
  const isEmpty = seq === null || (isScalar(seq) && (seq.value === null || seq.value === ''));
  if (isEmpty) {
    // `scrape_configs:` with nothing under it: the jobs go right after the key's line.
    const keyEnd = withoutBlock.indexOf('\n', (scrapeConfigs.key as { range: number[] }).range[0]!);
    const at = keyEnd < 0 ? withoutBlock.length : keyEnd + 1;
    return `${withoutBlock.slice(0, at)}${keyEnd < 0 ? '\n' : ''}${block('  ')}${withoutBlock.slice(at)}`;
  }
  if (!isSeq(seq)) throw new Error('scrape_configs is not a list');
  if (seq.flow || seq.items.length === 0) throw new Error('scrape_configs is written as a [flow] list; write it as a block list (- job_name: ...) so fleet can add its jobs');
  // After the last item, indented like the items.
  const firstItem = seq.items[0] as { range: number[] };
  const lineStart = withoutBlock.lastIndexOf('\n', firstItem.range[0]! - 1) + 1;
  const indent = ' '.repeat(Math.max(0, firstItem.range[0]! - lineStart - 2));
  const lastItem = seq.items[seq.items.length - 1] as { range: number[] };
  let at = lastItem.range[2]!;
  if (withoutBlock[at - 1] !== '\n') at = withoutBlock.indexOf('\n', at) < 0 ? withoutBlock.length : withoutBlock.indexOf('\n', at) + 1;
  const before = withoutBlock.slice(0, at);
  return `${before}${before.endsWith('\n') ? '' : '\n'}${block(indent)}${withoutBlock.slice(at)}`;
}
