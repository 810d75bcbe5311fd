/**
 * The convergence simulation in CI (issue 7): SIM_SEEDS seeds (default 100) from SIM_FROM
 * (default 1), or the one seed in SIM_SEED. A failing seed prints its trace and the command
 * that replays it. Thousands of seeds: `npm run simulate -- --seeds 5000`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { disabledFeatures, opsSkipped } from './features.ts';
import { formatFailure, runSeed } from './simulate.ts';
import { type SimWorld, startSimWorld } from './world.ts';

const one = process.env.SIM_SEED;
const count = Number(process.env.SIM_SEEDS ?? 100);
const from = Number(process.env.SIM_FROM ?? 1);
const seeds = one ? [Number(one)] : Array.from({ length: count }, (_, i) => from + i);

let database: TestDatabase;
let world: SimWorld;

beforeAll(async () => {
  database = await freshDatabase();
  world = await startSimWorld(database.db);
  for (const line of disabledFeatures()) console.log(`not simulated yet: ${line}`);
  for (const line of opsSkipped(false)) console.log(`skipped: ${line}`);
});

afterAll(async () => {
  await world?.close();
  await database?.drop();
});

describe('convergence simulation', () => {
  it(`converges on ${seeds.length} seeds with every invariant kept`, async () => {
    const failures: string[] = [];
    for (const seed of seeds) {
      const result = await runSeed(world, seed);
      if (result.violations.length)
        failures.push(formatFailure(result, `npm run simulate -- --seed ${seed}`));
    }
    expect(failures, failures.join('\n\n')).toEqual([]);
  }, 600_000);
});
