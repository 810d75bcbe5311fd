/**
 * Webhook intake throughput: the real app (Fastify + PostgreSQL + pg-boss) receives Pipedrive
 * v2 person webhooks as fast as it takes them, from a load generator in a worker thread.
 *   npx tsx bench/webhooks.ts [--requests 20000] [--concurrency 64] [--persons 5000]
 * Prints throughput, latency percentiles, and how many deliveries were stored and became jobs
 * (bursts for one person coalesce into one queued job, so jobs ≤ persons touched).
 * Target (DESIGN.md §10): ≥ 2,000 webhooks/s on 2 cores, p99 < 50 ms, none lost.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { sql } from 'kysely';
import { PgBoss } from 'pg-boss';
import pino from 'pino';
import { createApis } from '../server/apis.ts';
import { buildApp } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { Keyring } from '../server/crypto.ts';
import { ensureCompany } from '../server/db/companies.repo.ts';
import { createDatabase } from '../server/db/database.ts';
import { freePort } from '../server/db/embedded.ts';
import { migrate } from '../server/db/migrate.ts';
import {
  createDatabase as createDb,
  dropDatabase,
  openPostgresServer,
  scratchName,
} from '../server/db/server.ts';
import { declareQueues } from '../server/jobs/queues.ts';
import { createLogger } from '../server/log.ts';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '64' },
    persons: { type: 'string', default: '5000' },
  },
});
const REQUESTS = Number(values.requests);
const CONCURRENCY = Number(values.concurrency);
const PERSONS = Number(values.persons);
const COMPANY = 1;

const server = await openPostgresServer({
  databaseUrl: process.env.DATABASE_URL,
  dataDir: mkdtempSync(join(tmpdir(), 'pdcc-bench-')),
  ephemeral: true,
  log: () => {},
});
const name = scratchName('bench');
const url = await createDb(server.url, name);
await migrate(url);
const db = createDatabase(url, { max: 20 });
const boss = new PgBoss({ connectionString: url, schedule: false, supervise: false });
boss.on('error', () => {});
await boss.start();
await declareQueues(boss);
const keyring = new Keyring([{ id: 'bench', key: randomBytes(32) }]);
const creds = await ensureCompany(db, keyring, COMPANY);
const port = await freePort();
const config = loadConfig({ PUBLIC_URL: `http://127.0.0.1:${port}` });
// Production log level, written to /dev/null: the cost of logging each request is included.
const logger = createLogger({
  level: 'info',
  stream: pino.destination(openSync('/dev/null', 'w')),
});
const app = await buildApp({
  config,
  db,
  boss,
  logger,
  lifecycle: { shuttingDown: false },
  keyring,
  publicUrl: `http://127.0.0.1:${port}`,
  apis: createApis(db, config, keyring),
});
await app.listen({ host: '127.0.0.1', port });

const bodies = Array.from({ length: REQUESTS }, (_, i) =>
  JSON.stringify({
    meta: {
      action: 'change',
      entity: 'person',
      company_id: String(COMPANY),
      entity_id: String(1 + (i % PERSONS)),
      id: randomUUID(),
      timestamp: new Date().toISOString(),
      change_source: 'app',
      attempt: 1,
      version: '2.0',
    },
    data: {
      id: 1 + (i % PERSONS),
      name: `Person ${i}`,
      emails: [{ value: `p${i}@example.com`, primary: true }],
    },
    previous: { name: 'Before' },
  }),
);

const worker = new Worker(new URL('./lib/load.mjs', import.meta.url), {
  workerData: {
    url: `http://127.0.0.1:${port}/webhooks/pipedrive/${COMPANY}`,
    authorization: `Basic ${Buffer.from(`${creds.user}:${creds.password}`).toString('base64')}`,
    bodies,
    concurrency: CONCURRENCY,
  },
});
const result = await new Promise<{
  seconds: number;
  latencies: number[];
  statuses: Record<string, number>;
}>((resolve, reject) => {
  worker.once('message', resolve);
  worker.once('error', reject);
});

const stored = await db
  .selectFrom('webhook_events')
  .select((eb) => eb.fn.countAll<number>().as('n'))
  .executeTakeFirstOrThrow();
const jobs = await sql<{
  n: number;
}>`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'pipedrive.person-changed'`.execute(db);
const sorted = result.latencies.sort((a, b) => a - b);
const pct = (p: number) =>
  (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0).toFixed(1);

console.table([
  {
    webhooks: REQUESTS,
    concurrency: CONCURRENCY,
    seconds: result.seconds.toFixed(2),
    'per second': Math.round(REQUESTS / result.seconds),
    'p50 ms': pct(50),
    'p95 ms': pct(95),
    'p99 ms': pct(99),
    'answered 200': result.statuses['200'] ?? 0,
    stored: Number(stored.n),
    lost: REQUESTS - Number(stored.n),
    'jobs (coalesced)': jobs.rows[0]?.n ?? 0,
    'persons touched': Math.min(PERSONS, REQUESTS),
  },
]);

await app.close();
await boss.stop({ graceful: false });
await db.destroy();
await dropDatabase(server.url, name);
await server.stop();
