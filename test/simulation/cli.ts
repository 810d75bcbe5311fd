/**
 * `npm run simulate -- --seeds 5000 [--from 1]` runs that many seeds of the simulation and
 * prints progress and a summary; `npm run simulate -- --seed 1234` replays one seed and prints
 * its trace. Uses the PostgreSQL in DATABASE_URL (a scratch database, dropped at the end), or
 * an embedded one. Exit code 1 when any seed fails.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createDatabase as openKysely } from '../../server/db/database.ts';
import { migrate } from '../../server/db/migrate.ts';
import {
  createDatabase,
  dropDatabase,
  openPostgresServer,
  scratchName,
} from '../../server/db/server.ts';
import { opsSkipped } from './features.ts';
import { formatFailure, runSeed, type SeedResult } from './simulate.ts';
import { startSimWorld } from './world.ts';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1000' },
    from: { type: 'string', default: '1' },
    seed: { type: 'string' },
    trace: { type: 'boolean', default: false },
  },
});
const seeds = values.seed
  ? [Number(values.seed)]
  : Array.from({ length: Number(values.seeds) }, (_, i) => Number(values.from) + i);

const server = await openPostgresServer({
  databaseUrl: process.env.DATABASE_URL,
  dataDir: mkdtempSync(join(tmpdir(), 'pdcc-sim-pg-')),
  ephemeral: true,
  log: () => {},
});
const name = scratchName('sim');
const url = await createDatabase(server.url, name);
await migrate(url);
const db = openKysely(url, { max: 4 });
const world = await startSimWorld(db);

for (const line of opsSkipped()) console.log(`skipped: ${line}`);
const started = performance.now();
const failed: SeedResult[] = [];
let steps = 0;
try {
  for (const [i, seed] of seeds.entries()) {
    const result = await runSeed(world, seed);
    steps += result.steps;
    if (result.violations.length) {
      failed.push(result);
      console.log(formatFailure(result, `npm run simulate -- --seed ${seed}`));
    } else if (values.seed || values.trace) console.log(result.trace.join('\n'));
    if ((i + 1) % 100 === 0 || i + 1 === seeds.length) {
      const s = (performance.now() - started) / 1000;
      console.log(
        `${i + 1}/${seeds.length} seeds, ${failed.length} failed, ${s.toFixed(1)} s (${((s * 1000) / (i + 1)).toFixed(0)} ms/seed)`,
      );
    }
  }
} finally {
  await world.close();
  await db.destroy();
  await dropDatabase(server.url, name);
  await server.stop();
}
const seconds = (performance.now() - started) / 1000;
console.log(
  `\n${seeds.length} seeds (${steps} steps) in ${seconds.toFixed(1)} s: ${seeds.length - failed.length} passed, ${failed.length} failed${failed.length ? ` (seeds ${failed.map((f) => f.seed).join(', ')})` : ''}`,
);
process.exitCode = failed.length ? 1 : 0;
