import { defineConfig } from 'vitest/config';

// Four tiers. `unit` is pure code (no database, no servers beyond loopback fakes of nothing):
// it runs in seconds. `fakes` exercises the stateful provider fakes over loopback HTTP.
// `integration` gets real Postgres: one server per run (DATABASE_URL or embedded), one fresh
// database per test file cloned from a migrated template (see test/helpers/global-db.ts).
// `browser` drives the extension surfaces in headless Chromium.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.unit.test.ts'],
        },
      },
      {
        test: {
          name: 'fakes',
          include: ['test/fakes/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.integration.test.ts'],
          globalSetup: ['test/helpers/global-db.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The seeded convergence simulation (test/simulation/): SIM_SEEDS seeds, one database.
        test: {
          name: 'simulation',
          include: ['test/simulation/**/*.sim.test.ts'],
          globalSetup: ['test/helpers/global-db.ts'],
          testTimeout: 600_000,
          hookTimeout: 120_000,
        },
      },
      {
        // Headless Chromium against the real app, both fakes and the demo host page. Skipped
        // (with a message) where /usr/bin/chromium is missing; .ci/run installs it.
        test: {
          name: 'browser',
          include: ['test/browser/**/*.browser.test.ts'],
          globalSetup: ['test/helpers/global-db.ts', 'test/browser/build-extension.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
