import { describe, expect, it } from 'vitest';
import { selectByTags, type HostProgram } from '../../../src/engine/host-plan.ts';
import { fileResource } from '../../../src/resources/file.ts';
import { httpCheck } from '../../../src/resources/http-check.ts';
import { serviceResource } from '../../../src/resources/service.ts';

/** The shape of playbooks/alloy.yaml: a config task tagged `config` that notifies a reload, the service, a firewall-like task and its checks. */
function alloyLike(): HostProgram {
  const file = (path: string, tags: string[], notify?: 'reload' | 'restart') =>
    fileResource({ path, content: 'x', mode: '0644', owner: 'root', group: 'root', tags, notify: notify ? [{ service: 'alloy', action: notify }] : undefined });
  return {
    resources: [
      { resource: file('/etc/default/alloy', ['alloy'], 'restart') },
      { resource: file('/etc/alloy/config.alloy', ['alloy', 'config'], 'reload') },
      { resource: serviceResource({ name: 'alloy', enabled: true, state: 'started', ports: [12345], tags: ['alloy'] }) },
      { resource: file('/etc/other', ['other']) },
    ],
    checks: [
      { check: httpCheck({ url: 'http://127.0.0.1:12345/-/ready', from: 'host', status: 200, timeoutSeconds: 1, service: 'alloy', tags: ['alloy', 'verify'] }) },
      { check: httpCheck({ url: 'http://127.0.0.1:9100/metrics', from: 'host', status: 200, timeoutSeconds: 1, service: 'node_exporter', tags: ['node_exporter', 'verify'] }) },
    ],
  };
}

const ids = (program: HostProgram) => [...program.resources.map(({ resource }) => resource.id), ...program.checks.map(({ check }) => check.id)];

describe('tag selection keeps handlers and checks', () => {
  it('--tags config selects the config task, the service it notifies and that service\'s checks', () => {
    expect(ids(selectByTags(alloyLike(), { tags: ['config'] }))).toEqual(['file /etc/alloy/config.alloy', 'service alloy', 'http http://127.0.0.1:12345/-/ready from host']);
  });

  it('--tags on a task that notifies nothing selects only that task', () => {
    expect(ids(selectByTags(alloyLike(), { tags: ['other'] }))).toEqual(['file /etc/other']);
  });

  it('--skip-tags leaves tasks out but keeps the service a kept task notifies; skipped checks stay skipped', () => {
    const program = alloyLike();
    program.resources[2]!.resource.tags.push('service');
    expect(ids(selectByTags(program, { tags: [], skipTags: ['service', 'verify'] }))).toEqual(['file /etc/default/alloy', 'file /etc/alloy/config.alloy', 'service alloy', 'file /etc/other']);
    expect(ids(selectByTags(alloyLike(), { tags: [], skipTags: ['alloy'] }))).toEqual(['file /etc/other', 'http http://127.0.0.1:9100/metrics from host']);
  });

  it('no tags and no skipped tags: the whole program', () => {
    const program = alloyLike();
    expect(selectByTags(program, { tags: [] })).toBe(program);
  });
});
