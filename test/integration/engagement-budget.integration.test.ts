/**
 * Issue 9: "the engagement share of the budget is respected (measured from the fake's request
 * log)". With 200 CC requests a day, engagement may use 15 % (30): polls stop there, keep their
 * place, and catch up over the next days without recording anything twice.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PRIORITY_SHARES } from '../../server/api/cc-policy.ts';
import { Keyring } from '../../server/crypto.ts';
import { pollEngagement } from '../../server/sync/engagement/poll.ts';
import { connectionSettings } from '../../server/sync/settings.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import {
  connectAndSync,
  engineDeps,
  type SyncWorld,
  sameNameRow,
  startSeededWorld,
  twoWaySettings,
} from '../helpers/sync-world.ts';

const ACCOUNT = 'a07ebudget001';
const PER_DAY = 200;
const keyring = new Keyring([{ id: 't', key: randomBytes(32) }]);
const MINUTE = 60_000;

let database: TestDatabase;
let world: SyncWorld;
let companyId: number;
let connectionId: number;

beforeAll(async () => {
  database = await freshDatabase();
  ({ world, companyId } = await startSeededWorld({
    name: 'engage-budget',
    companyName: 'Budget Co',
    persons: 10,
    organizations: 1,
    personOffset: 33_000,
    accountId: ACCOUNT,
    ccPeople: [33_000, 33_010],
  }));
  ({ connectionId } = await connectAndSync(database.db, keyring, world, {
    companyId,
    ccAccountId: ACCOUNT,
    settings: connectionSettings.parse({
      ...twoWaySettings(world, companyId, ACCOUNT, [sameNameRow('first_name')]),
      direction: 'to_cc',
    }),
  }));
});

afterAll(async () => {
  await world?.close();
  await database?.drop();
});

/** A new UTC day for the app's limiter: its counters start over. */
const newDay = () => database.db.deleteFrom('api_budget').execute();

describe('the engagement share of the Constant Contact budget', () => {
  it('stops at 15 % of each day, keeps its place, and catches up over the next days exactly once', async () => {
    const links = await database.db
      .selectFrom('links')
      .select('contact_id')
      .where('connection_id', '=', connectionId)
      .where('person_id', 'is not', null)
      .execute();
    const contacts = links.map((l) => l.contact_id as string).slice(0, 2);
    const now = Date.now();
    // 12 campaigns: each costs a campaign read and four report reads before its first entry.
    for (let c = 0; c < 12; c++) {
      const { campaignActivityId } = world.cc.control.sendCampaign(ACCOUNT, {
        name: `Weekly ${c}`,
        at: now - (600 - c) * MINUTE,
      });
      world.cc.control.recordEngagement(ACCOUNT, {
        campaignActivityId,
        kind: 'opens',
        contactIds: contacts,
        at: now - (500 - c) * MINUTE,
      });
    }
    const deps = engineDeps(database.db, world, keyring, { CC_REQUESTS_PER_DAY: String(PER_DAY) });
    const share = Math.floor(DEFAULT_PRIORITY_SHARES.engagement.maxShare * PER_DAY);

    /** One day: poll until the share is spent or nothing is left; the CC calls it made. */
    const day = async () => {
      await newDay();
      world.cc.control.clearRequests();
      let result: Awaited<ReturnType<typeof pollEngagement>> = null;
      for (let i = 0; i < 30; i++) {
        result = await pollEngagement(deps, { connectionId });
        if (result?.budgetSpent || result?.caughtUp) break;
      }
      const calls = world.cc.log.all().filter((r) => r.path.startsWith('/v3/')).length;
      return { calls, caughtUp: result?.caughtUp ?? false };
    };

    const first = await day();
    expect(first.caughtUp).toBe(false);
    expect(first.calls).toBeLessThanOrEqual(share);
    expect(first.calls).toBeGreaterThanOrEqual(share - 1);
    const unread = await database.db
      .selectFrom('engagement_reports')
      .select('campaign_activity_id')
      .where('watermark', 'is', null)
      .execute();
    expect(unread.length).toBeGreaterThan(0);

    // The following days pick up where the first stopped, within the share each day.
    let days = 1;
    for (let last = first; !last.caughtUp && days < 6; days++) {
      last = await day();
      expect(last.calls).toBeLessThanOrEqual(share);
    }
    expect(days).toBeGreaterThan(1);
    expect(days).toBeLessThan(6);
    const rows = await database.db
      .selectFrom('engagement_seen')
      .select(['state', 'pipedrive_id'])
      .execute();
    expect(rows).toHaveLength(24);
    expect(rows.every((r) => r.state === 'recorded')).toBe(true);
    const activities = [...world.pd.store.company(companyId)!.activities.values()];
    expect(activities).toHaveLength(24);
    expect(new Set(rows.map((r) => r.pipedrive_id)).size).toBe(24);
  });
});
