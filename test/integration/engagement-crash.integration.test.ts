/**
 * Issue 9: engagement lands exactly once "also when the worker is killed mid-way". A real child
 * process polls a campaign of 1,080 events (three report pages of opens) and is killed with
 * SIGKILL while it writes activities; a second process finishes. Every event is then on its
 * person exactly once.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../../server/crypto.ts';
import { eventRef } from '../../server/sync/engagement/events.ts';
import { connectionSettings } from '../../server/sync/settings.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { spawnScript } from '../helpers/process.ts';
import {
  connectAndSync,
  type SyncWorld,
  sameNameRow,
  startSeededWorld,
  twoWaySettings,
} from '../helpers/sync-world.ts';

const ACCOUNT = 'a07ekill00001';
const key = randomBytes(32);
const keyring = new Keyring([{ id: 'kill', key }]);
const MINUTE = 60_000;

let database: TestDatabase;
let world: SyncWorld;
let companyId: number;
let connectionId: number;

beforeAll(async () => {
  database = await freshDatabase();
  ({ world, companyId } = await startSeededWorld({
    name: 'engage-kill',
    companyName: 'Kill Co',
    persons: 40,
    organizations: 1,
    personOffset: 32_000,
    accountId: ACCOUNT,
    ccPeople: [32_000, 32_040],
  }));
  ({ connectionId } = await connectAndSync(database.db, keyring, world, {
    companyId,
    ccAccountId: ACCOUNT,
    settings: connectionSettings.parse({
      ...twoWaySettings(world, companyId, ACCOUNT, [sameNameRow('first_name')]),
      direction: 'to_cc',
    }),
    env: { ENCRYPTION_KEYS: `kill:${key.toString('base64')}` },
  }));
});

afterAll(async () => {
  await world?.close();
  await database?.drop();
});

function worker() {
  return spawnScript('test/helpers/run-engagement.ts', {
    ...world.env({ ENCRYPTION_KEYS: `kill:${key.toString('base64')}` }),
    DATABASE_URL: database.url,
    CONNECTION_ID: String(connectionId),
  });
}

describe('engagement survives a killed worker', () => {
  it('records each of 1,080 events once after SIGKILL mid-write and a restart', async () => {
    const contacts = (
      await database.db
        .selectFrom('links')
        .select(['contact_id', 'person_id'])
        .where('connection_id', '=', connectionId)
        .where('person_id', 'is not', null)
        .where('contact_id', 'is not', null)
        .execute()
    ).slice(0, 36);
    expect(contacts).toHaveLength(36);
    const total = contacts.length * 30;
    const now = Date.now();
    const { campaignActivityId } = world.cc.control.sendCampaign(ACCOUNT, {
      name: 'Big Launch',
      at: now - 2_000 * MINUTE,
    });
    // 30 opens per contact, a minute apart: 1,080 opens, three pages of the opens report.
    for (let i = 0; i < 30; i++) {
      world.cc.control.recordEngagement(ACCOUNT, {
        campaignActivityId,
        kind: 'opens',
        contactIds: contacts.map((c) => c.contact_id as string),
        at: now - (1_900 - i) * MINUTE,
      });
    }
    const company = world.pd.store.company(companyId)!;
    const activities = () => [...company.activities.values()].filter((a) => !a.is_deleted);

    const first = worker();
    for (;;) {
      if (activities().length >= 300) break;
      if (first.child.exitCode !== null) throw new Error(`worker ended early: ${first.stderr()}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = activities().length;
    expect(atKill).toBeLessThan(total);

    const second = worker();
    expect(await second.exited, second.stderr()).toBe(0);

    const rows = await database.db
      .selectFrom('engagement_seen')
      .select(['event_key', 'person_id', 'pipedrive_id', 'state'])
      .where('connection_id', '=', connectionId)
      .execute();
    expect(rows).toHaveLength(total);
    expect(rows.every((r) => r.state === 'recorded')).toBe(true);
    const all = activities();
    expect(all).toHaveLength(total);
    // Each event's ref is on exactly one activity, of the right person.
    const byRef = new Map<string, number[]>();
    for (const a of all) {
      const ref = /ref (cc-[0-9a-f]{16})/.exec(a.note ?? '')?.[1] as string;
      byRef.set(ref, [...(byRef.get(ref) ?? []), a.person_id as number]);
    }
    for (const row of rows) {
      expect(byRef.get(eventRef(row.event_key))).toEqual([row.person_id]);
    }
  });
});
