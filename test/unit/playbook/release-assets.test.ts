import { describe, expect, it } from 'vitest';
import { BUILTIN_VARS } from '../../../src/defaults.ts';
import { goArch } from '../../../src/facts/host-facts.ts';
import { loadPlaybooks } from '../../../src/playbook/load.ts';
import { renderTemplate } from '../../../src/templates/render.ts';

// The upstream release names, per `uname -m` of the host:
// node_exporter (.promu.yml crossbuild, linux: promu's platforms): node_exporter-V.linux-ARCH.tar.gz
//   holding node_exporter-V.linux-ARCH/node_exporter;
// Alloy (build-tools/make/packaging.mk, zip -j): alloy-linux-ARCH.zip holding alloy-linux-ARCH.
const NE = '1.12.1';
const EXPECTED: Record<string, { node_exporter?: [string, string]; alloy?: [string, string] }> = {
  x86_64: { node_exporter: [`node_exporter-${NE}.linux-amd64.tar.gz`, `node_exporter-${NE}.linux-amd64/node_exporter`], alloy: ['alloy-linux-amd64.zip', 'alloy-linux-amd64'] },
  aarch64: { node_exporter: [`node_exporter-${NE}.linux-arm64.tar.gz`, `node_exporter-${NE}.linux-arm64/node_exporter`], alloy: ['alloy-linux-arm64.zip', 'alloy-linux-arm64'] },
  armv8l: { node_exporter: [`node_exporter-${NE}.linux-armv7.tar.gz`, `node_exporter-${NE}.linux-armv7/node_exporter`] },
  armv7l: { node_exporter: [`node_exporter-${NE}.linux-armv7.tar.gz`, `node_exporter-${NE}.linux-armv7/node_exporter`] },
  armv6l: { node_exporter: [`node_exporter-${NE}.linux-armv6.tar.gz`, `node_exporter-${NE}.linux-armv6/node_exporter`] },
  armv5tel: { node_exporter: [`node_exporter-${NE}.linux-armv5.tar.gz`, `node_exporter-${NE}.linux-armv5/node_exporter`] },
  i686: { node_exporter: [`node_exporter-${NE}.linux-386.tar.gz`, `node_exporter-${NE}.linux-386/node_exporter`] },
  riscv64: { node_exporter: [`node_exporter-${NE}.linux-riscv64.tar.gz`, `node_exporter-${NE}.linux-riscv64/node_exporter`] },
  ppc64le: { node_exporter: [`node_exporter-${NE}.linux-ppc64le.tar.gz`, `node_exporter-${NE}.linux-ppc64le/node_exporter`], alloy: ['alloy-linux-ppc64le.zip', 'alloy-linux-ppc64le'] },
  s390x: { node_exporter: [`node_exporter-${NE}.linux-s390x.tar.gz`, `node_exporter-${NE}.linux-s390x/node_exporter`], alloy: ['alloy-linux-s390x.zip', 'alloy-linux-s390x'] },
};

describe('release asset and member names per architecture, as upstream publishes them', () => {
  it.each(Object.keys(EXPECTED))('%s', async (machine) => {
    const playbooks = await loadPlaybooks(['site'], '/nonexistent');
    const context = { vars: BUILTIN_VARS, host: { name: 'h' }, fleet: {} };
    const found: Record<string, [string, string]> = {};
    for (const { playbook } of playbooks) {
      for (const task of playbook.tasks) {
        if (!task.artifact) continue;
        const arch = goArch(machine);
        if (task.artifact.archs && !task.artifact.archs.includes(arch)) continue;
        const url = renderTemplate('url', task.artifact.url, context).replaceAll('{arch}', arch);
        const member = renderTemplate('member', task.artifact.member, context).replaceAll('{arch}', arch);
        found[task.artifact.name] = [url.split('/').pop()!, member];
      }
    }
    expect(found).toEqual(EXPECTED[machine]);
  });
});
