/**
 * Initial sync benchmark: N persons in the Pipedrive fake, N contacts in the CC fake (a chosen
 * share of them the same people), both fakes enforcing rate limits, the real engine between.
 *   npx tsx bench/initial-sync.ts [--n 10000] [--overlap 0.5] [--cc-rps 40] [--pd-burst 400]
 *                                 [--direction to_cc|two_way] [--profile]
 * The fakes run in a child process (bench/lib/fake-world.ts), so the engine's process is
 * measured alone. Prints wall time, the minimum the limits allow for the calls made (the
 * busier API's calls at its rate), their ratio, calls per 1,000 contacts on each API (from the
 * fakes' request logs) and peak RSS of the engine's process (and of the fakes'). Limits are
 * scaled up from the real 4/s so the run is short; the ratio is computed against the same
 * scaled limits. Target: ratio ≤ 1.2, RSS flat as N grows.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createApis } from '../server/apis.ts';
import { loadConfig } from '../server/config.ts';
import { Keyring } from '../server/crypto.ts';
import { ensureCompany } from '../server/db/companies.repo.ts';
import { createDatabase } from '../server/db/database.ts';
import { migrate } from '../server/db/migrate.ts';
import {
  createDatabase as createDb,
  dropDatabase,
  openPostgresServer,
  scratchName,
} from '../server/db/server.ts';
import { createLogger } from '../server/log.ts';
import { runInitialSync } from '../server/sync/engine/initial.ts';
import { connectionSettings } from '../server/sync/settings.ts';
import { sameNameRow } from '../test/helpers/sync-world.ts';
import type { FakeWorldRequest } from './lib/fake-world.ts';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '10000' },
    overlap: { type: 'string', default: '0.5' },
    'cc-rps': { type: 'string', default: '40' },
    'pd-burst': { type: 'string', default: '400' },
    direction: { type: 'string', default: 'to_cc' },
    verbose: { type: 'boolean', default: false },
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
const fakes = await startFakes({
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
const info = (await fakes.ask({ op: 'info', ccAccountId: ACCOUNT })) as {
  pdBaseUrl: string;
  env: Record<string, string>;
  companyId: number;
  listId: string;
  ownerId: number;
};

const keyring = new Keyring([{ id: 'bench', key: randomBytes(32) }]);
const companyId = info.companyId;
const settings = connectionSettings.parse({
  direction: DIRECTION,
  pipedriveSource: { kind: 'all' },
  ccSource: { kind: 'all' },
  targetListIds: [info.listId],
  newPersonOwnerId: info.ownerId,
  conflictWinner: 'pipedrive',
  mapping: [sameNameRow('first_name'), sameNameRow('last_name'), sameNameRow('job_title')],
});
const connectionId = await connect();
const run = await db
  .insertInto('sync_runs')
  .values({ connection_id: connectionId, kind: 'initial' })
  .returning('id')
  .executeTakeFirstOrThrow();
await fakes.ask({ op: 'clear' });
const rssBefore = process.memoryUsage().rss;
peakRss = rssBefore;
const started = performance.now();
const progress = setInterval(async () => {
  const row = await db
    .selectFrom('sync_runs')
    .select(['phase', 'done', 'total'])
    .where('id', '=', run.id)
    .executeTakeFirst();
  if (row)
    process.stderr.write(
      `  ${((performance.now() - started) / 1000).toFixed(1)} s ${row.phase ?? 'starting'}: ${row.done}/${row.total ?? '?'}\n`,
    );
}, 1_000);
const result = await runInitialSync(
  {
    db,
    apis: createApis(
      db,
      loadConfig({
        ...info.env,
        CC_REQUESTS_PER_SECOND: String(CC_RPS),
        CC_REQUESTS_PER_DAY: '100000000',
      }),
      keyring,
    ),
    logger: createLogger({ level: 'silent' }),
  },
  { connectionId, runId: run.id, dryRun: false },
);
const seconds = (performance.now() - started) / 1000;
clearInterval(progress);
clearInterval(sampler);

const calls = (await fakes.ask({ op: 'count' })) as {
  cc: number;
  pd: number;
  paths: Record<string, number>;
  throttled: number;
  timeline: { cc: number[]; pd: number[] };
};
const fakesRss = (await fakes.ask({ op: 'rss' })) as { peak: number };
// The fakes serve both APIs in parallel; the limit on the whole run is the busier API's calls
// at its rate (CC: requests per second; Pipedrive: burst per 2 s).
const minimum = Math.max(calls.cc / CC_RPS, calls.pd / (PD_BURST / 2));
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
console.table([
  {
    N,
    overlap: OVERLAP,
    direction: DIRECTION,
    'wall s': seconds.toFixed(1),
    'limit minimum s': minimum.toFixed(1),
    ratio: (seconds / minimum).toFixed(2),
    'CC calls / 1k': ((calls.cc / N) * 1000).toFixed(1),
    'Pipedrive calls / 1k': ((calls.pd / N) * 1000).toFixed(1),
    'engine peak RSS MB': mb(peakRss),
    'engine RSS growth MB': mb(peakRss - rssBefore),
    'fakes peak RSS MB': mb(fakesRss.peak),
    linked: result.counts.link ?? 0,
    created: (result.counts.create_contact ?? 0) + (result.counts.create_person ?? 0),
  },
]);
if (values.verbose) {
  console.log(calls.paths);
  console.log(`429 answers: ${calls.throttled}`);
  console.log(`CC calls per second:        ${calls.timeline.cc.join(' ')}`);
  console.log(`Pipedrive calls per second: ${calls.timeline.pd.join(' ')}`);
}

await fakes.ask({ op: 'close' });
await db.destroy();
await dropDatabase(server.url, name);
await server.stop();

/** The fakes' child process and a request/answer channel to it. */
async function startFakes(options: unknown) {
  const child = fork(
    new URL('./lib/fake-world.ts', import.meta.url).pathname,
    [JSON.stringify(options)],
    {
      execArgv: ['--import', 'tsx'],
      // A heap cap given to the engine (NODE_OPTIONS=--max-old-space-size) is not the fakes'.
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const waiting = new Map<number, (result: unknown) => void>();
  child.on('message', (message: { id: number; result: unknown }) => {
    waiting.get(message.id)?.(message.result);
    waiting.delete(message.id);
  });
  child.on('exit', (code) => {
    if (code) throw new Error(`the fakes' process exited with ${code}`);
  });
  // The fakes go with the benchmark, however it ends.
  process.on('exit', () => child.kill());
  let next = 1;
  const ask = (request: DistributiveOmit<FakeWorldRequest, 'id'>) =>
    new Promise<unknown>((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      child.send({ ...request, id });
    });
  await new Promise<unknown>((resolve) => waiting.set(0, resolve));
  return { ask };
}

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

/** The company installed and connected straight into the database, as connectCompany does. */
async function connect(): Promise<number> {
  const { pdToken, ccToken } = (await fakes.ask({
    op: 'connect',
    companyId,
    ccAccountId: ACCOUNT,
  })) as {
    pdToken: { access_token: string; refresh_token: string };
    ccToken: { access_token: string; refresh_token: string };
  };
  await ensureCompany(db, keyring, companyId);
  await db
    .insertInto('installations')
    .values({
      company_id: companyId,
      user_id: 1,
      api_domain: info.pdBaseUrl,
      access_token: keyring.seal(pdToken.access_token),
      refresh_token: keyring.seal(pdToken.refresh_token),
      access_token_expires_at: new Date(Date.now() + 3_600_000),
    })
    .execute();
  const row = await db
    .insertInto('connections')
    .values({
      company_id: companyId,
      cc_account_id: ACCOUNT,
      cc_account_name: 'Bench CC',
      cc_access_token: keyring.seal(ccToken.access_token),
      cc_refresh_token: keyring.seal(ccToken.refresh_token),
      cc_access_token_expires_at: new Date(Date.now() + 86_400_000),
      status: 'setup',
      settings: JSON.stringify(settings),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
