import { describe, expect, it } from 'vitest';
import type { Connection } from '../../../src/connection/ssh.ts';
import { commandResource, type CommandSpec } from '../../../src/resources/command.ts';
import type { Change } from '../../../src/resources/types.ts';
import { factsFrom } from '../../helpers/facts.ts';

const base: CommandSpec = { run: { argv: ['/opt/app/setup', '--init'] }, become: true, loginUser: 'deploy', timeoutSeconds: 600 };

/** The plan of a command whose guards' fact commands answer `answers` (in the order facts() asks them). */
function planWith(spec: Partial<CommandSpec>, answers: string[]) {
  const resource = commandResource({ ...base, ...spec });
  const raw = Object.fromEntries(resource.facts().map((request, index) => [request.key, answers[index] ?? '']));
  return { resource, facts: factsFrom(raw), change: resource.plan(factsFrom(raw)) as Change };
}

describe('command resource plan', () => {
  it('without a guard always runs, and says so (as Ansible reports changed)', () => {
    expect(planWith({}, []).change).toEqual({ resource: 'command /opt/app/setup --init', action: 'update', reason: 'would run: no creates: or unless:, so it runs on every apply' });
  });

  it('creates: skips when the path exists, runs when it does not', () => {
    expect(planWith({ creates: '/opt/app/.done' }, ['present\n']).change).toMatchObject({ action: 'same', reason: '/opt/app/.done exists (creates)' });
    expect(planWith({ creates: '/opt/app/.done' }, ['absent\n']).change).toMatchObject({ action: 'create', reason: 'would run: /opt/app/.done does not exist' });
  });

  it('unless: skips on exit 0 whatever the test printed; the exit status is the last line', () => {
    expect(planWith({ unless: 'grep -q x /etc/y' }, ['\nunless-exit:0\n']).change).toMatchObject({ action: 'same', reason: 'the unless test exited 0' });
    // The test printing a fake marker before the real one changes nothing.
    expect(planWith({ unless: 'echo unless-exit:0; false' }, ['unless-exit:0\n\nunless-exit:1\n']).change).toMatchObject({ action: 'update', reason: 'would run: the unless test exited 1' });
  });

  it('either guard holding is enough; both failing are both named', () => {
    expect(planWith({ creates: '/a', unless: 'false' }, ['present\n', '\nunless-exit:1\n']).change).toMatchObject({ action: 'same' });
    expect(planWith({ creates: '/a', unless: 'false' }, ['absent\n', '\nunless-exit:1\n']).change).toMatchObject({ reason: 'would run: /a does not exist and the unless test exited 1' });
  });

  it('reads its guards as the login user when become is false, in the chdir folder', () => {
    const [unless] = commandResource({ ...base, unless: 'test -f ./x', chdir: '/srv/app', become: false }).facts();
    expect(unless && 'command' in unless ? unless.command : '').toContain("runuser -u deploy -- sh -c 'sh -c '\\''cd /srv/app || exit 1");
  });

  it('after running, a guard still unmet is a failure of the command; an unguarded one is done', async () => {
    const connection = { execChecked: async () => '' } as unknown as Connection;
    for (const spec of [{ creates: '/a' }, {}]) {
      const { resource, facts, change } = planWith(spec, ['absent\n']);
      await resource.apply(connection, change, facts);
      expect(change.reason).toMatch(/^ran: /);
      const again = resource.plan(facts);
      if (spec.creates) expect(again).toMatchObject({ action: 'update', reason: 'ran, but /a does not exist: fix the command or its guard' });
      else expect(again).toMatchObject({ action: 'same', reason: 'ran in this run (no creates: or unless: to check)' });
    }
  });

  it('runs argv with the program always quoted, shell through /bin/sh -c, stdin closed, as asked', async () => {
    const runs: { command: string; options: unknown }[] = [];
    const connection = { execChecked: async (_step: string, command: string, options: unknown) => (runs.push({ command, options }), '') } as unknown as Connection;
    const apply = (spec: Partial<CommandSpec>) => {
      const { resource, facts, change } = planWith(spec, []);
      return resource.apply(connection, change, facts);
    };
    await apply({ run: { argv: ['if', 'a b', "it's"] }, chdir: '/srv/my app' });
    await apply({ run: { shell: 'echo $HOME > /tmp/x' }, become: false, timeoutSeconds: 5 });
    expect(runs).toEqual([
      { command: "( cd '/srv/my app' && 'if' 'a b' 'it'\\''s' ) </dev/null", options: { sudo: true, timeoutMs: 600_000 } },
      { command: "( /bin/sh -c 'echo $HOME > /tmp/x' ) </dev/null", options: { sudo: false, timeoutMs: 5000 } },
    ]);
  });

  it('is named by the task, or by its first line', () => {
    expect(commandResource({ ...base, name: 'migrate the database' }).id).toBe('command migrate the database');
    expect(commandResource({ ...base, run: { shell: 'set -e\nmake install' } }).id).toBe('command set -e...');
  });
});
