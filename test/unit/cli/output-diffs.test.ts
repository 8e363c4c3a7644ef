import { describe, expect, it } from 'vitest';
import { diffReplacer, maskCredentials } from '../../../src/cli/output-diffs.ts';
import { unifiedDiff } from '../../../src/cli/render-changes.ts';

describe('file contents in outputs', () => {
  const report = { hosts: [{ host: 'web1', result: { changes: [{ resource: 'file /etc/x', action: 'update', reason: 'content differs', diff: { before: 'a\n', after: 'password: hunter2\n' } }] } }] };

  it('--json carries no contents without --diff, only what differs in words', () => {
    const json = JSON.stringify(report, diffReplacer(false));
    expect(json).not.toContain('hunter2');
    expect(json).not.toContain('"diff"');
    expect(json).toContain('content differs');
  });

  it('with --diff the contents come, credentials masked', () => {
    const json = JSON.parse(JSON.stringify(report, diffReplacer(true))) as typeof report;
    expect(json.hosts[0]!.result.changes[0]!.diff).toEqual({ before: 'a\n', after: 'password: (masked)\n' });
  });

  it('masks credentials that an error message quotes', () => {
    const failed = { error: { step: 'command', message: 'write /etc/alloy/config.alloy: exit code 1: 12 | password = "hunter2"' } };
    expect(JSON.stringify(failed, diffReplacer(false))).not.toContain('hunter2');
  });

  it.each([
    ['    password: "hunter2"', '    password: (masked)'],
    ['  basic_auth: { username: u, password: hunter2 }', '  basic_auth: { username: u, password: (masked) }'],
    ['    bearer_token = "hunter2"', '    bearer_token = (masked)'],
    ['  "api_key": "hunter2",', '  "api_key": (masked),'],
    ['  credentials: hunter2', '  credentials: (masked)'],
    ['  url = "https://user:hunter2@mimir.example.com/push"', '  url = "https://user:(masked)@mimir.example.com/push"'],
    ['  password_file: /etc/prometheus/fleet-node.password', '  password_file: /etc/prometheus/fleet-node.password'],
    ['  job_name: fleet-node', '  job_name: fleet-node'],
  ])('masks %j', (line, masked) => {
    expect(maskCredentials(line)).toBe(masked);
  });

  it('a unified diff masks both sides', () => {
    const patch = unifiedDiff('/etc/prometheus/prometheus.yml', 'password: old-secret\n', 'password: new-secret\n');
    expect(patch).not.toMatch(/old-secret|new-secret/);
  });
});
