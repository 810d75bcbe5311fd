/**
 * Email engagement: the Constant Contact and Pipedrive calls spent per 1,000 engagement events
 * (issue 9), from the fakes' request logs.
 *   npx tsx bench/engagement.ts [--events 5000] [--campaigns 5] [--bursts] [--cc-rps 4]
 * After an initial sync of 200 persons, `--campaigns` campaigns get `--events` events (70 %
 * opens, 20 % clicks, 5 % opt-outs, 5 % bounces) on linked contacts; polls then run until they
 * have caught up. Pipedrive's burst limit is off (calls are counted, not timed); CC's rate
 * limit is the real 4/s unless `--cc-rps` says otherwise. `--bursts` groups opens by burst.
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
import { pollEngagement } from '../server/sync/engagement/poll.ts';
import { connectionSettings } from '../server/sync/settings.ts';
import { DEMO_ACCOUNT_ID } from '../test/fakes/constant-contact/demo.ts';
import {
  connectAndSync,
  engineDeps,
  sameNameRow,
  startSyncWorld,
  twoWaySettings,
} from '../test/helpers/sync-world.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '5000' },
    campaigns: { type: 'string', default: '5' },
    bursts: { type: 'boolean', default: false },
    'cc-rps': { type: 'string', default: '4' },
  },
});
const EVENTS = Number(values.events);
const CAMPAIGNS = Number(values.campaigns);
const CC_RPS = values['cc-rps'] as string;

const server = await openPostgresServer({
  databaseUrl: process.env.DATABASE_URL,
  dataDir: mkdtempSync(join(tmpdir(), 'pdcc-bench-')),
  ephemeral: true,
  log: () => {},
});
const name = scratchName('engagement');
const url = await createDb(server.url, name);
await migrate(url);
const db = createDatabase(url, { max: 10 });
const world = await startSyncWorld({
  name: 'engagement-bench',
  pipedrive: { rateLimits: { enabled: false } },
  constantContact: { rateLimits: { perSecond: Number(CC_RPS), perDay: 1_000_000 } },
});
const env = { CC_REQUESTS_PER_SECOND: CC_RPS, CC_REQUESTS_PER_DAY: '1000000' };
const keyring = new Keyring([{ id: 'bench', key: randomBytes(32) }]);
const companyId = [...world.pd.store.companies.keys()][0] as number;
process.stderr.write('initial sync…\n');
const { connectionId } = await connectAndSync(db, keyring, world, {
  companyId,
  ccAccountId: DEMO_ACCOUNT_ID,
  settings: connectionSettings.parse({
    ...twoWaySettings(world, companyId, DEMO_ACCOUNT_ID, [sameNameRow('first_name')]),
    direction: 'to_cc',
    engagement: { openBursts: values.bursts },
  }),
  env,
});
const contacts = (
  await db
    .selectFrom('links')
    .select('contact_id')
    .where('connection_id', '=', connectionId)
    .where('state', '=', 'active')
    .execute()
).map((l) => l.contact_id as string);

// The demo account has past campaigns of its own; the bench counts only what it adds now.
const now = Date.now();
const MINUTE = 60_000;
const perCampaign = Math.ceil(EVENTS / CAMPAIGNS);
const mix: ['opens' | 'clicks' | 'optouts' | 'bounces', number][] = [
  ['opens', 0.7],
  ['clicks', 0.2],
  ['optouts', 0.05],
  ['bounces', 0.05],
];
let made = 0;
for (let c = 0; c < CAMPAIGNS; c++) {
  const { campaignActivityId } = world.cc.control.sendCampaign(DEMO_ACCOUNT_ID, {
    name: `Bench campaign ${c + 1}`,
    at: now - 3 * 86_400_000,
  });
  for (const [kind, share] of mix) {
    const n = Math.round(perCampaign * share);
    // Opt-outs and bounces happen once per contact and campaign; opens and clicks repeat.
    const once = kind === 'optouts' || kind === 'bounces';
    for (let i = 0; i < n && made < EVENTS; i++) {
      const contact = contacts[(i * 7 + c * 13 + (once ? 101 : 0)) % contacts.length] as string;
      if (once && i >= contacts.length) break;
      world.cc.control.recordEngagement(DEMO_ACCOUNT_ID, {
        campaignActivityId,
        kind,
        contactIds: [contact],
        at: now - 2 * 86_400_000 + i * MINUTE + c * 997,
        ...(kind === 'clicks' ? { linkUrl: `https://example.com/p/${i % 17}` } : {}),
      });
      made += 1;
    }
  }
}
// Opt-outs unsubscribe the contact; start counting after the seed.
world.cc.control.clearRequests();
world.pd.control.clearRequests();

process.stderr.write(`${made} events in ${CAMPAIGNS} campaigns; polling…\n`);
const deps = engineDeps(db, world, keyring, env);
const started = performance.now();
let polls = 0;
for (;;) {
  polls += 1;
  const result = await pollEngagement(deps, { connectionId });
  if (!result || result.caughtUp) break;
}
const seconds = (performance.now() - started) / 1000;
const states = await db
  .selectFrom('engagement_seen')
  .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
  .where('connection_id', '=', connectionId)
  .groupBy('state')
  .execute();
const byState = Object.fromEntries(states.map((s) => [s.state, Number(s.n)]));
const seen = Object.values(byState).reduce((a, b) => a + b, 0);
const ccCalls = world.cc.log.all().filter((r) => r.path.startsWith('/v3/')).length;
const pdCalls = world.pd.log.all().filter((r) => r.path.startsWith('/api/')).length;
const pdByOp = new Map<string, number>();
for (const r of world.pd.log.all()) {
  const op = `${r.method} ${r.path.replace(/\/\d+/g, '/{id}')}`;
  pdByOp.set(op, (pdByOp.get(op) ?? 0) + 1);
}
const per1000 = (n: number) => ((n * 1000) / Math.max(1, seen)).toFixed(1);

console.log('| measure | value |');
console.log('| --- | --- |');
console.log(`| events read (${JSON.stringify(byState)}) | ${seen.toLocaleString('en')} |`);
console.log(`| polls until caught up | ${polls} |`);
console.log(
  `| wall time (CC at ${CC_RPS}/s, Pipedrive burst limit off) | ${seconds.toFixed(1)} s |`,
);
console.log(`| **CC calls** | ${ccCalls} (**${per1000(ccCalls)} per 1,000 events**) |`);
console.log(`| **Pipedrive calls** | ${pdCalls} (**${per1000(pdCalls)} per 1,000 events**) |`);
const ccByOp = new Map<string, number>();
for (const r of world.cc.log.all()) {
  const op = `${r.method} ${r.path.replace(/\/[0-9a-f-]{36}/g, '/{id}')}`;
  ccByOp.set(op, (ccByOp.get(op) ?? 0) + 1);
}
for (const [op, n] of [...ccByOp].sort((a, b) => b[1] - a[1])) console.log(`| CC ${op} | ${n} |`);
for (const [op, n] of [...pdByOp].sort((a, b) => b[1] - a[1]))
  console.log(`| Pipedrive ${op} | ${n} |`);

await db.destroy();
await world.close();
await dropDatabase(server.url, name);
await server.stop();
