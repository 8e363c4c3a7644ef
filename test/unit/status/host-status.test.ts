import { describe, expect, it } from 'vitest';
import type { ConvergeOutcome } from '../../../src/cli/converge.ts';
import type { ResolvedHost } from '../../../src/inventory/resolve.ts';
import { httpCheck } from '../../../src/resources/http-check.ts';
import { hostStatus, statusFacts } from '../../../src/status/host-status.ts';

const host = { name: 'web1', address: '192.0.2.11', groups: [], labels: {}, vars: {} } as unknown as ResolvedHost;

describe('fleet status reads running versions', () => {
  it("from the answer of the playbook's own metrics check where that check asks in the shared request", () => {
    const nodeCheck = httpCheck({ url: 'http://127.0.0.1:9100/metrics?collect%5B%5D=textfile', from: 'host', status: 200, timeoutSeconds: 1 });
    const behindAuth = httpCheck({ url: 'http://127.0.0.1:12345/metrics', from: 'host', status: 200, timeoutSeconds: 1, basicAuth: { user: 'u', passwordEnv: 'P' } });
    const facts = statusFacts(host, [], [nodeCheck, behindAuth]);
    const node = facts.find((fact) => fact.key === 'status-version:node_exporter')!;
    // The same reader and URL as the check: one transfer answers both.
    expect(node).toEqual({ key: 'status-version:node_exporter', ...nodeCheck.firstAttempt!.source });
    // A check behind basic auth asks on its own later, so status asks for itself.
    expect(facts.find((fact) => fact.key === 'status-version:alloy')).toMatchObject({ command: expect.stringContaining("curl -sk --max-time 3 http://127.0.0.1:12345/metrics") });
  });

  it('takes the build_info line, not another metric with a version label', () => {
    const answer = '# HELP go_info ...\ngo_info{version="go1.19.8"} 1\nnode_exporter_build_info{branch="debian/sid",goversion="go1.19.8",revision="1.5.0",version="1.5.0"} 1\n\n__fleet_http_status_0__200';
    const outcome = { host: 'web1', status: 'ok', durationMs: 1, result: { changes: [], extra: { 'status-version:node_exporter': answer, 'status-version:alloy': 'alloy_build_info{goversion="go1.22",version="v1.18.1"} 1\n' } } } as unknown as ConvergeOutcome;
    expect(hostStatus(outcome, []).versions).toEqual({ node_exporter: '1.5.0', alloy: '1.18.1' });
  });
});
