import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ensureFleetJobs } from '../../../src/register/scrape-config.ts';
import { FLEET_JOBS } from '../../../src/register/targets.ts';

const debian = readFileSync(new URL('../../fixtures/prometheus-debian.yml', import.meta.url), 'utf8');
const jobsOf = (text: string) => (parse(text) as { scrape_configs: { job_name: string; file_sd_configs?: { files: string[] }[] }[] }).scrape_configs;

describe('fleet jobs in prometheus.yml', () => {
  it('adds a marked block after the operator\'s jobs and leaves every other byte as it was', () => {
    const edited = ensureFleetJobs(debian, FLEET_JOBS, '/etc/prometheus/file_sd', '15s');
    expect(jobsOf(edited).map((job) => job.job_name)).toEqual(['prometheus', 'node', 'fleet-node', 'fleet-alloy']);
    expect(jobsOf(edited)[2]!.file_sd_configs![0]!.files).toEqual(['/etc/prometheus/file_sd/fleet-node*.json']);
    expect(edited.replace(/^ *# BEGIN fleet[\s\S]*# END fleet managed scrape jobs\n/m, '')).toBe(debian);
  });

  it('is idempotent and replaces its own block when settings change', () => {
    const once = ensureFleetJobs(debian, FLEET_JOBS, '/etc/prometheus/file_sd');
    expect(ensureFleetJobs(once, FLEET_JOBS, '/etc/prometheus/file_sd')).toBe(once);
    const moved = ensureFleetJobs(once, FLEET_JOBS, '/srv/sd');
    expect(moved.match(/BEGIN fleet/g)).toHaveLength(1);
    expect(jobsOf(moved)[2]!.file_sd_configs![0]!.files).toEqual(['/srv/sd/fleet-node*.json']);
  });

  it('handles a file without scrape_configs, or with an empty one, and refuses what it cannot edit safely', () => {
    expect(jobsOf(ensureFleetJobs('global:\n  scrape_interval: 15s\n', FLEET_JOBS, '/sd')).map((job) => job.job_name)).toEqual(['fleet-node', 'fleet-alloy']);
    expect(jobsOf(ensureFleetJobs('scrape_configs:\nrule_files: []\n', FLEET_JOBS, '/sd')).map((job) => job.job_name)).toEqual(['fleet-node', 'fleet-alloy']);
    expect(() => ensureFleetJobs('scrape_configs: [{job_name: a}]\n', FLEET_JOBS, '/sd')).toThrow('written as a [flow] list');
    expect(() => ensureFleetJobs('scrape_configs: {}\n', FLEET_JOBS, '/sd')).toThrow('scrape_configs is not a list');
  });

  it('puts the block before a top-level key that follows scrape_configs', () => {
    const text = 'scrape_configs:\n  - job_name: mine\n    static_configs:\n      - targets: [a:1]\n# trailing comment\nremote_write:\n  - url: http://x\n';
    const edited = ensureFleetJobs(text, FLEET_JOBS, '/sd');
    expect(jobsOf(edited).map((job) => job.job_name)).toEqual(['mine', 'fleet-node', 'fleet-alloy']);
    expect((parse(edited) as { remote_write: unknown[] }).remote_write).toEqual([{ url: 'http://x' }]);
  });
});

describe('fleet’s marker lines in prometheus.yml', () => {
  const once = ensureFleetJobs(debian, FLEET_JOBS, '/etc/prometheus/file_sd');
  const [beginLine, endLine] = [once.split('\n').find((line) => line.includes('# BEGIN fleet'))!, once.split('\n').find((line) => line.includes('# END fleet'))!];

  it('keeps the operator’s jobs under a comment that merely starts like the BEGIN marker', () => {
    const text = debian.replace('scrape_configs:\n', 'scrape_configs:\n  # BEGIN fleet managed scrape jobs? no: mine, below\n');
    const edited = ensureFleetJobs(ensureFleetJobs(text, FLEET_JOBS, '/sd'), FLEET_JOBS, '/sd');
    expect(jobsOf(edited).map((job) => job.job_name)).toEqual(['prometheus', 'node', 'fleet-node', 'fleet-alloy']);
    expect(edited).toContain('# BEGIN fleet managed scrape jobs? no: mine, below');
  });

  it.each([
    ['two blocks', `${once}${beginLine}\n${endLine}\n`, /BEGIN on line \d+, BEGIN on line \d+, END on line \d+, END on line \d+/],
    ['a BEGIN without END', once.replace(`${endLine}\n`, ''), /\(BEGIN on line \d+\)/],
    ['an END before the BEGIN', `${endLine}\n${once.replace(`${endLine}\n`, '')}`, /\(BEGIN on line \d+, END on line 1\)/],
  ])('refuses %s and says why', (_what, text, where) => {
    expect(() => ensureFleetJobs(text, FLEET_JOBS, '/sd')).toThrow(where);
    expect(() => ensureFleetJobs(text, FLEET_JOBS, '/sd')).toThrow('keep exactly one pair');
  });

  it('a credential that holds the END marker cannot end the block early: it is refused', () => {
    const hostile = { 'fleet-node': { basic_auth: { username: 'u\n# END fleet managed scrape jobs\n', password_file: '/etc/prometheus/p' } } };
    expect(() => ensureFleetJobs(debian, FLEET_JOBS, '/sd', undefined, hostile)).toThrow(/would write a line equal to one of fleet's markers/);
    const plain = { 'fleet-node': { basic_auth: { username: '# END fleet managed scrape jobs', password_file: '/etc/prometheus/p' } } };
    const edited = ensureFleetJobs(debian, FLEET_JOBS, '/sd', undefined, plain);
    expect(ensureFleetJobs(edited, FLEET_JOBS, '/sd', undefined, plain)).toBe(edited);
  });
});
