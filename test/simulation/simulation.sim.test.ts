/**
 * The convergence simulation in CI (issue 7): SIM_SEEDS seeds (default 300) from SIM_FROM
 * (default 1), or the one seed in SIM_SEED, in tests of 50 seeds each. A failing seed prints
 * its trace and the command that replays it. Thousands of seeds: `npm run simulate -- --seeds
 * 5000`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { opsSkipped } from './features.ts';
import { formatFailure, runSeed } from './simulate.ts';
import { type SimWorld, startSimWorld } from './world.ts';

const one = process.env.SIM_SEED;
const count = Number(process.env.SIM_SEEDS ?? 300);
const from = Number(process.env.SIM_FROM ?? 1);
const seeds = one ? [Number(one)] : Array.from({ length: count }, (_, i) => from + i);

let database: TestDatabase;
let world: SimWorld;

beforeAll(async () => {
  database = await freshDatabase();
  world = await startSimWorld(database.db);
  for (const line of opsSkipped()) console.log(`skipped: ${line}`);
});

afterAll(async () => {
  await world?.close();
  await database?.drop();
});

/** Seeds per test: each test's time limit stays far from a slow machine's run. */
const CHUNK = 50;
const chunks = Array.from({ length: Math.ceil(seeds.length / CHUNK) }, (_, i) =>
  seeds.slice(i * CHUNK, (i + 1) * CHUNK),
);

describe('convergence simulation', () => {
  it.each(chunks.map((chunk) => ({ chunk, name: `${chunk[0]}–${chunk.at(-1)}` })))(
    'converges on seeds $name with every invariant kept',
    async ({ chunk }) => {
      const failures: string[] = [];
      for (const seed of chunk) {
        const result = await runSeed(world, seed);
        if (result.violations.length)
          failures.push(formatFailure(result, `npm run simulate -- --seed ${seed}`));
      }
      expect(failures, failures.join('\n\n')).toEqual([]);
    },
    600_000,
  );
});
