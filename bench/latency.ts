/**
 * Pipedrive change → Constant Contact latency: the real app (webhook intake, pg-boss, the
 * person job) between the two fakes, changes applied in the Pipedrive fake at a steady rate.
 *   npx tsx bench/latency.ts [--changes 200] [--rate 20] [--cc-rps 4]
 * Prints p50/p95/p99 of the time from the edit until the CC fake holds the new value, and the
 * CC calls spent per 100 changes. The person job waits 2 s on purpose (bursts for one person
 * coalesce), so that is the floor. Target (DESIGN §10): p95 < 3 s at 20 changes/s.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PgBoss } from 'pg-boss';
import pino from 'pino';
import { createApis } from '../server/apis.ts';
import { buildApp } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { Keyring } from '../server/crypto.ts';
import { createDatabase } from '../server/db/database.ts';
import { freePort } from '../server/db/embedded.ts';
import { migrate } from '../server/db/migrate.ts';
import {
  createDatabase as createDb,
  dropDatabase,
  openPostgresServer,
  scratchName,
} from '../server/db/server.ts';
import { batched, declareQueues, registerWorkers } from '../server/jobs/queues.ts';
import { createLogger } from '../server/log.ts';
import { ensureWebhooks } from '../server/pipedrive/install.ts';
import { pipedriveTokenSource } from '../server/pipedrive/tokens.ts';
import { syncPersons } from '../server/sync/engine/person.ts';
import { DEMO_ACCOUNT_ID } from '../test/fakes/constant-contact/demo.ts';
import {
  connectAndSync,
  sameNameRow,
  startSyncWorld,
  twoWaySettings,
} from '../test/helpers/sync-world.ts';

const { values } = parseArgs({
  options: {
    changes: { type: 'string', default: '200' },
    rate: { type: 'string', default: '20' },
    'cc-rps': { type: 'string', default: '4' },
  },
});
const CC_RPS = values['cc-rps'] as string;
const CHANGES = Number(values.changes);
const RATE = Number(values.rate);

const server = await openPostgresServer({
  databaseUrl: process.env.DATABASE_URL,
  dataDir: mkdtempSync(join(tmpdir(), 'pdcc-bench-')),
  ephemeral: true,
  log: () => {},
});
const name = scratchName('latency');
const url = await createDb(server.url, name);
await migrate(url);
const db = createDatabase(url, { max: 10 });
const port = await freePort();
const publicUrl = `http://127.0.0.1:${port}`;
// Constant Contact at --cc-rps (4/s is the real limit; a higher value measures the engine
// without budget waits, as DESIGN §10 asks); Pipedrive's fake with its real limits.
const world = await startSyncWorld({
  name: 'latency',
  redirectBase: publicUrl,
  constantContact: { rateLimits: { perSecond: Number(CC_RPS), perDay: 1_000_000 } },
});
const config = loadConfig(
  world.env({
    PUBLIC_URL: publicUrl,
    CC_REQUESTS_PER_SECOND: CC_RPS,
    CC_REQUESTS_PER_DAY: '1000000',
  }),
);
const keyring = new Keyring(config.encryptionKeys);
const boss = new PgBoss({ connectionString: url, schedule: false, supervise: true });
boss.on('error', () => {});
await boss.start();
await declareQueues(boss);
const quiet = createLogger({ level: 'warn', stream: pino.destination(2) });
const apis = createApis(db, config, keyring);
const app = await buildApp({
  config,
  db,
  boss,
  logger: quiet,
  lifecycle: { shuttingDown: false },
  keyring,
  publicUrl,
  apis,
});
await app.listen({ host: '127.0.0.1', port });

const companyId = [...world.pd.store.companies.keys()][0] as number;
const ccAccount = world.cc.store.account(DEMO_ACCOUNT_ID);
process.stderr.write('initial sync…\n');
await connectAndSync(db, keyring, world, {
  companyId,
  ccAccountId: DEMO_ACCOUNT_ID,
  settings: twoWaySettings(world, companyId, DEMO_ACCOUNT_ID, [sameNameRow('job_title')]),
  env: { CC_REQUESTS_PER_SECOND: CC_RPS },
});
const installation = await db
  .selectFrom('installations')
  .select(['id', 'api_domain'])
  .executeTakeFirstOrThrow();
const tokens = pipedriveTokenSource({
  db,
  keyring,
  client: { id: world.apps.pd.id, secret: world.apps.pd.secret, oauthUrl: world.pd.baseUrl },
  installationId: installation.id,
});
await ensureWebhooks(
  { db, keyring, publicUrl },
  companyId,
  apis.pipedriveInstall(installation.api_domain, tokens, companyId),
);
await registerWorkers(
  boss,
  {
    'pipedrive.person-changed': batched(async (payloads) => {
      await syncPersons({ db, apis, logger: quiet }, payloads);
    }),
  },
  { concurrency: 8, logger: quiet },
);

const links = await db
  .selectFrom('links')
  .select(['person_id', 'contact_id'])
  .where('state', '=', 'active')
  .execute();
world.cc.log.clear();
const pending = new Map<number, { contactId: string; value: string; at: number }>();
const latencies: number[] = [];
process.stderr.write(`${CHANGES} changes at ${RATE}/s…\n`);
for (let i = 0; i < CHANGES; i++) {
  const link = links[i % links.length]!;
  const value = `Title ${i}`;
  world.pd.control.ui.updatePerson(companyId, link.person_id as number, { job_title: value });
  pending.set(link.person_id as number, {
    contactId: link.contact_id as string,
    value,
    at: performance.now(),
  });
  await new Promise((r) => setTimeout(r, 1000 / RATE));
  check();
}
function check() {
  for (const [personId, p] of pending) {
    if (ccAccount.contacts.get(p.contactId)?.job_title === p.value) {
      latencies.push(performance.now() - p.at);
      pending.delete(personId);
    }
  }
}
const deadline = performance.now() + 120_000;
while (pending.size > 0 && performance.now() < deadline) {
  await new Promise((r) => setTimeout(r, 20));
  check();
}
const sorted = [...latencies].sort((a, b) => a - b);
const pct = (p: number) =>
  (
    (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0) / 1000
  ).toFixed(2);
const ccCalls = world.cc.log.all().filter((r) => r.path.startsWith('/v3/')).length;
console.table([
  {
    changes: CHANGES,
    'rate /s': RATE,
    'CC limit /s': CC_RPS,
    'landed in CC': latencies.length,
    'p50 s': pct(50),
    'p95 s': pct(95),
    'p99 s': pct(99),
    'CC calls / 100 changes': ((ccCalls / CHANGES) * 100).toFixed(0),
    'never landed': pending.size,
  },
]);

await app.close();
await boss.stop({ graceful: false });
await world.close();
await db.destroy();
await dropDatabase(server.url, name);
await server.stop();
