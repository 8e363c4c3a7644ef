import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Lab files spend most of their time waiting on real hosts (boots, scrapes, restarts), so more
    // files run at once than this machine has cores; each file boots its own hosts.
    maxWorkers: 4,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // Some unit tests run the real `fleet` command: the compiled entry, built once before the tests.
          globalSetup: ['test/helpers/build.ts'],
          testTimeout: 30_000,
          provide: { runFleetTimeoutMs: 20_000 },
        },
      },
      {
        test: {
          name: 'lab',
          include: ['test/lab/**/*.test.ts'],
          globalSetup: ['test/helpers/build.ts', 'test/lab/global-setup.ts'],
          // Real hosts: boots, SSH handshakes and service starts take seconds, not milliseconds. This is a
          // hang detector, not a speed target: on a loaded 2-core machine (load average 35 in a whole-suite
          // run) tests with several fleet runs took over 120 s and failed on time alone.
          testTimeout: 300_000,
          hookTimeout: 180_000,
          provide: { runFleetTimeoutMs: 110_000 },
        },
      },
    ],
  },
});
