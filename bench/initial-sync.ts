/**
 * Initial sync benchmark: N persons in the Pipedrive fake, N contacts in the CC fake (a chosen
 * share of them the same people), both fakes enforcing rate limits, the real engine between.
 *   npx tsx bench/initial-sync.ts [--n 10000] [--overlap 0.5] [--cc-rps 40] [--pd-burst 400]
 *                                 [--direction to_cc|two_way]
 * Prints wall time, the minimum the limits allow for the calls made (the busier API's calls at
 * its rate), their ratio, calls per 1,000 contacts on each API (from the fakes' request logs)
 * and peak RSS. Limits are scaled up from the real 4/s so the run is short; the ratio is
 * computed against the same scaled limits. Target: ratio ≤ 1.2, RSS flat as N grows.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Keyring } from '../server/crypto.ts';
import { createDatabase } from '../server/db/database.ts';
import { migrate } from '../server/db/migrate.ts';
import {
  createDatabase as createDb,
  dropDatabase,
  openPostgresServer,
  scratchName,
} from '../server/db/server.ts';
import { runInitialSync } from '../server/sync/engine/initial.ts';
import { connectCompany } from '../test/helpers/connected.ts';
import {
  engineDeps,
  sameNameRow,
  startSyncWorld,
  twoWaySettings,
} from '../test/helpers/sync-world.ts';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '10000' },
    overlap: { type: 'string', default: '0.5' },
    'cc-rps': { type: 'string', default: '40' },
    'pd-burst': { type: 'string', default: '400' },
    direction: { type: 'string', default: 'to_cc' },
  },
});
const N = Number(values.n);
const OVERLAP = Number(values.overlap);
const CC_RPS = Number(values['cc-rps']);
const PD_BURST = Number(values['pd-burst']);
const DIRECTION = values.direction as 'to_cc' | 'two_way';
const ACCOUNT = 'a07ebench0001';

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 100);

const server = await openPostgresServer({
  databaseUrl: process.env.DATABASE_URL,
  dataDir: mkdtempSync(join(tmpdir(), 'pdcc-bench-')),
  ephemeral: true,
  log: () => {},
});
const name = scratchName('bench');
const url = await createDb(server.url, name);
await migrate(url);
const db = createDatabase(url, { max: 8 });

const start = 1_000_000 + Math.round(N * (1 - OVERLAP));
const world = await startSyncWorld({
  name: 'bench',
  pipedrive: {
    seed: {
      seed: 'bench',
      companies: [{ name: 'Bench Co', persons: N, organizations: 50, personOffset: 1_000_000 }],
    },
    rateLimits: { burstPerWindow: PD_BURST, dailyBudget: 1_000_000_000 },
  },
  constantContact: {
    seed: {
      accounts: [
        {
          accountId: ACCOUNT,
          organizationName: 'Bench CC',
          lists: ['Synced'],
          demoPeople: [start, start + N],
        },
      ],
    },
    rateLimits: { perSecond: CC_RPS, perDay: 100_000_000 },
  },
});
const { pd, cc } = world;

const keyring = new Keyring([{ id: 'bench', key: randomBytes(32) }]);
const companyId = [...pd.store.companies.keys()][0] as number;
const settings = {
  ...twoWaySettings(world, companyId, ACCOUNT, [
    sameNameRow('first_name'),
    sameNameRow('last_name'),
    sameNameRow('job_title'),
  ]),
  direction: DIRECTION,
};
const { connectionId } = await connectCompany({
  db,
  keyring,
  world,
  companyId,
  ccAccountId: ACCOUNT,
  settings,
});
const run = await db
  .insertInto('sync_runs')
  .values({ connection_id: connectionId, kind: 'initial' })
  .returning('id')
  .executeTakeFirstOrThrow();
pd.log.clear();
cc.log.clear();
const rssBefore = process.memoryUsage().rss;
peakRss = rssBefore;
const started = performance.now();
const progress = setInterval(async () => {
  const row = await db
    .selectFrom('sync_runs')
    .select(['phase', 'done', 'total'])
    .where('id', '=', run.id)
    .executeTakeFirst();
  if (row) process.stderr.write(`  ${row.phase ?? 'starting'}: ${row.done}/${row.total ?? '?'}\n`);
}, 5_000);
const result = await runInitialSync(
  engineDeps(db, world, keyring, {
    CC_REQUESTS_PER_SECOND: String(CC_RPS),
    CC_REQUESTS_PER_DAY: '100000000',
  }),
  { connectionId, runId: run.id, dryRun: false },
);
const seconds = (performance.now() - started) / 1000;
clearInterval(progress);
clearInterval(sampler);

const ccCalls = cc.log.all().filter((r) => r.path.startsWith('/v3/')).length;
const pdCalls = pd.log
  .all()
  .filter((r) => r.path.includes('/api/') || r.path.startsWith('/v1/')).length;
// The fakes serve both APIs in parallel; the limit on the whole run is the busier API's calls
// at its rate (CC: requests per second; Pipedrive: burst per 2 s).
const minimum = Math.max(ccCalls / CC_RPS, pdCalls / (PD_BURST / 2));
console.table([
  {
    N,
    overlap: OVERLAP,
    direction: DIRECTION,
    'wall s': seconds.toFixed(1),
    'limit minimum s': minimum.toFixed(1),
    ratio: (seconds / minimum).toFixed(2),
    'CC calls / 1k': ((ccCalls / N) * 1000).toFixed(1),
    'Pipedrive calls / 1k': ((pdCalls / N) * 1000).toFixed(1),
    'peak RSS MB': Math.round(peakRss / 1024 / 1024),
    'RSS growth MB': Math.round((peakRss - rssBefore) / 1024 / 1024),
    linked: result.counts.link ?? 0,
    created: (result.counts.create_contact ?? 0) + (result.counts.create_person ?? 0),
  },
]);

await world.close();
await db.destroy();
await dropDatabase(server.url, name);
await server.stop();
