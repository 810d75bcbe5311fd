/**
 * Issue 9: Constant Contact engagement on the Pipedrive person. A campaign with opens, clicks,
 * opt-outs and bounces for linked, unlinked and deleted contacts lands exactly once on the
 * right persons, also when the same report pages are read again or a write was interrupted;
 * a company whose installing user is not an admin gets notes; opens can be grouped by burst.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../../server/crypto.ts';
import { eventRef } from '../../server/sync/engagement/events.ts';
import { collectContact, pollEngagement } from '../../server/sync/engagement/poll.ts';
import { CC_STATUS_FIELD_NAME } from '../../server/sync/engine/cc-status.ts';
import { type ConnectionSettings, connectionSettings } from '../../server/sync/settings.ts';
import type { Activity } from '../fakes/pipedrive/model.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import {
  connectAndSync,
  engineDeps,
  type SyncWorld,
  sameNameRow,
  startSyncWorld,
  twoWaySettings,
} from '../helpers/sync-world.ts';

const ACCOUNT_A = 'a07eengage001';
const ACCOUNT_B = 'a07eengage002';
const keyring = new Keyring([{ id: 't', key: randomBytes(32) }]);
const MINUTE = 60_000;

let database: TestDatabase;
let world: SyncWorld;
let companyA: number;
let companyB: number;
let connectionA: number;
let connectionB: number;

const poll = (connectionId: number) =>
  pollEngagement(engineDeps(database.db, world, keyring), { connectionId });

/** Pipedrive → CC only, so the CC-only contacts stay unlinked. */
function settingsFor(companyId: number, account: string, engagement = {}): ConnectionSettings {
  return connectionSettings.parse({
    ...twoWaySettings(world, companyId, account, [sameNameRow('first_name')]),
    direction: 'to_cc',
    engagement,
  });
}

async function linkOf(connectionId: number, personId: number) {
  return database.db
    .selectFrom('links')
    .select(['contact_id', 'person_id'])
    .where('connection_id', '=', connectionId)
    .where('person_id', '=', personId)
    .executeTakeFirstOrThrow();
}

const activitiesOf = (companyId: number): Activity[] =>
  [...world.pd.store.company(companyId)!.activities.values()].filter((a) => !a.is_deleted);

const byPerson = (activities: Activity[]) => {
  const out = new Map<number, string[]>();
  for (const a of activities) {
    const list = out.get(a.person_id as number) ?? [];
    list.push(a.type);
    out.set(a.person_id as number, list.sort());
  }
  return out;
};

beforeAll(async () => {
  database = await freshDatabase();
  world = await startSyncWorld({
    name: 'engage',
    pipedrive: {
      seed: {
        seed: 'engage',
        companies: [
          { name: 'Engage Co', persons: 12, organizations: 1, users: 1, personOffset: 30_000 },
          { name: 'Notes Co', persons: 4, organizations: 1, users: 1, personOffset: 31_000 },
        ],
      },
      rateLimits: { enabled: false },
    },
    constantContact: {
      seed: {
        accounts: [
          { accountId: ACCOUNT_A, lists: ['Newsletter'], demoPeople: [30_000, 30_015] },
          { accountId: ACCOUNT_B, lists: ['Newsletter'], demoPeople: [31_000, 31_004] },
        ],
      },
      rateLimits: { enabled: false },
    },
  });
  [companyA, companyB] = [...world.pd.store.companies.keys()] as [number, number];
  ({ connectionId: connectionA } = await connectAndSync(database.db, keyring, world, {
    companyId: companyA,
    ccAccountId: ACCOUNT_A,
    settings: settingsFor(companyA, ACCOUNT_A),
  }));
  ({ connectionId: connectionB } = await connectAndSync(database.db, keyring, world, {
    companyId: companyB,
    ccAccountId: ACCOUNT_B,
    settings: settingsFor(companyB, ACCOUNT_B),
  }));
  // Company B was installed by a user who is not an admin (pipedrive-api.md §3.7).
  const company = world.pd.store.company(companyB)!;
  const user = [...company.users.values()].find((u) => !u.isAdmin)!;
  const token = world.pd.control.mintToken({
    companyId: companyB,
    userId: user.id,
    clientId: world.apps.pd.id,
  });
  await database.db
    .updateTable('installations')
    .set({
      access_token: keyring.seal(token.access_token),
      refresh_token: keyring.seal(token.refresh_token),
    })
    .where('company_id', '=', companyB)
    .execute();
});

afterAll(async () => {
  await world?.close();
  await database?.drop();
});

describe('engagement of a campaign', () => {
  const persons: number[] = [];
  let contactOf: (personId: number) => Promise<string>;

  it('lands each event once on the right person, as done activities of the app’s types', async () => {
    const company = world.pd.store.company(companyA)!;
    persons.push(
      ...[...company.persons.values()]
        .filter((p) => !p.is_deleted)
        .map((p) => p.id)
        .sort((a, b) => a - b)
        .slice(0, 6),
    );
    contactOf = async (personId) => (await linkOf(connectionA, personId)).contact_id as string;
    const [opener, , optout, bounce, deletedContact, deletedPerson] = persons as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const cc = world.cc.control;
    const account = world.cc.store.account(ACCOUNT_A);
    const linked = new Set(
      (await database.db.selectFrom('links').select('contact_id').execute()).map(
        (l) => l.contact_id,
      ),
    );
    const unlinked = [...account.contacts.keys()].find((id) => !linked.has(id))!;
    expect(unlinked).toBeDefined();

    const now = Date.now();
    const { campaignActivityId } = cc.sendCampaign(ACCOUNT_A, {
      name: 'Spring Newsletter',
      at: now - 120 * MINUTE,
    });
    const contacts = await Promise.all(persons.map(contactOf));
    const [cOpener, cSecond, cOptout, cBounce, cDeletedContact, cDeletedPerson] = contacts as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const engage = (
      kind: 'opens' | 'clicks' | 'optouts' | 'bounces',
      ids: string[],
      minutesAgo: number,
      extra = {},
    ) =>
      cc.recordEngagement(ACCOUNT_A, {
        campaignActivityId,
        kind,
        contactIds: ids,
        at: now - minutesAgo * MINUTE,
        ...extra,
      });
    engage('opens', [cOpener, cSecond, unlinked, cDeletedContact, cDeletedPerson], 90, {
      deviceType: 'mobile',
    });
    engage('opens', [cOpener], 30);
    engage('clicks', [cOpener, unlinked], 29, { linkUrl: 'https://example.com/pricing' });
    engage('optouts', [cOptout], 60, { optOutReason: 'Too many emails' });
    engage('bounces', [cBounce], 110, { bounceCode: 'F' });

    // A contact deleted in CC keeps its engagement; a person deleted in Pipedrive gets none.
    const token = cc.mintToken({ clientId: world.apps.cc.id, accountId: ACCOUNT_A });
    const deleted = await fetch(`${world.cc.baseUrl}/v3/contacts/${cDeletedContact}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token.access_token}` },
    });
    expect(deleted.status).toBe(204);
    world.pd.control.ui.deletePerson(companyA, deletedPerson);

    const result = await poll(connectionA);
    expect(result?.recorded?.activities).toBe(7);

    const types = [...company.activityTypes.values()].filter((t) =>
      ['Email opened', 'Email link clicked', 'Unsubscribed', 'Email bounced'].includes(t.name),
    );
    expect(types.map((t) => t.name).sort()).toEqual([
      'Email bounced',
      'Email link clicked',
      'Email opened',
      'Unsubscribed',
    ]);
    const key = (name: string) => types.find((t) => t.name === name)!.key_string;
    const activities = activitiesOf(companyA);
    expect(byPerson(activities)).toEqual(
      new Map([
        [opener, [key('Email link clicked'), key('Email opened'), key('Email opened')].sort()],
        [persons[1] as number, [key('Email opened')]],
        [optout, [key('Unsubscribed')]],
        [bounce, [key('Email bounced')]],
        [deletedContact, [key('Email opened')]],
      ]),
    );
    for (const a of activities) {
      expect(a.done).toBe(true);
      expect(a.participants).toEqual([{ person_id: a.person_id, primary: true }]);
      expect(a.subject).toContain('Spring Newsletter');
    }
    const click = activities.find((a) => a.type === key('Email link clicked'))!;
    expect(click.note).toContain('https://example.com/pricing');
    expect(click.due_date).toBe(new Date(now - 29 * MINUTE).toISOString().slice(0, 10));
    expect(click.due_time).toBe(new Date(now - 29 * MINUTE).toISOString().slice(11, 16));
    const bounced = activities.find((a) => a.type === key('Email bounced'))!;
    expect(bounced.subject).toContain('mailbox full');
    const open = activities.find((a) => a.person_id === persons[1])!;
    expect(open.note).toContain('mobile');

    // The opt-out also shows in the app-managed status field (engine/cc-status.ts).
    const field = company.personFields.find((f) => f.active && f.name === CC_STATUS_FIELD_NAME)!;
    expect(company.persons.get(optout)?.custom_fields[field.key]).toBe('Unsubscribed');
    expect(company.persons.get(opener)?.custom_fields[field.key] ?? null).toBeNull();
  });

  it('writes nothing more on a second poll, nor when the same report pages are read again', async () => {
    const before = activitiesOf(companyA).length;
    const seen = await database.db.selectFrom('engagement_seen').select('id').execute();
    await poll(connectionA);
    expect(activitiesOf(companyA)).toHaveLength(before);
    // Forget every watermark: the next poll reads each report from its first page again.
    await database.db
      .updateTable('engagement_reports')
      .set({ watermark: null, unique_count: null, scanned_at: null })
      .where('connection_id', '=', connectionA)
      .execute();
    const reads = () => world.cc.log.all().filter((r) => r.path.includes('/tracking/')).length;
    const readsBefore = reads();
    const again = await poll(connectionA);
    expect(reads()).toBeGreaterThanOrEqual(readsBefore + 4);
    expect(again?.read).toBe(0);
    expect(activitiesOf(companyA)).toHaveLength(before);
    expect(await database.db.selectFrom('engagement_seen').select('id').execute()).toHaveLength(
      seen.length,
    );
  });

  it('settles a write interrupted after Pipedrive took it, without writing it again', async () => {
    const row = await database.db
      .selectFrom('engagement_seen')
      .select(['id', 'pipedrive_id', 'event_key'])
      .where('connection_id', '=', connectionA)
      .where('state', '=', 'recorded')
      .orderBy('id')
      .executeTakeFirstOrThrow();
    // What a crash between the call and its commit leaves behind.
    await database.db
      .updateTable('engagement_seen')
      .set({ state: 'sending', pipedrive_id: null, intent_at: new Date() })
      .where('id', '=', row.id)
      .execute();
    const before = activitiesOf(companyA).length;
    const result = await poll(connectionA);
    expect(result?.recorded?.reconciled).toBe(1);
    expect(activitiesOf(companyA)).toHaveLength(before);
    const after = await database.db
      .selectFrom('engagement_seen')
      .select(['state', 'pipedrive_id'])
      .where('id', '=', row.id)
      .executeTakeFirstOrThrow();
    expect(after).toEqual({ state: 'recorded', pipedrive_id: row.pipedrive_id });
    const activity = world.pd.store.company(companyA)!.activities.get(row.pipedrive_id!)!;
    expect(activity.note).toContain(eventRef(row.event_key));
  });

  it('records an interrupted write whose call never reached Pipedrive', async () => {
    const row = await database.db
      .selectFrom('engagement_seen')
      .select(['id', 'pipedrive_id'])
      .where('connection_id', '=', connectionA)
      .where('state', '=', 'recorded')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    const activities = world.pd.store.company(companyA)!.activities;
    activities.delete(row.pipedrive_id!);
    await database.db
      .updateTable('engagement_seen')
      .set({ state: 'sending', pipedrive_id: null, intent_at: new Date() })
      .where('id', '=', row.id)
      .execute();
    const before = activitiesOf(companyA).length;
    await poll(connectionA);
    expect(activitiesOf(companyA)).toHaveLength(before + 1);
    const after = await database.db
      .selectFrom('engagement_seen')
      .select(['state', 'pipedrive_id'])
      .where('id', '=', row.id)
      .executeTakeFirstOrThrow();
    expect(after.state).toBe('recorded');
    expect(activities.has(after.pipedrive_id!)).toBe(true);
  });

  it('folds a contact’s opens within an hour into one entry when the admin chose bursts', async () => {
    await database.db
      .updateTable('connections')
      .set({
        settings: JSON.stringify(
          settingsFor(companyA, ACCOUNT_A, { openBursts: true, clicks: false }),
        ),
      })
      .where('id', '=', connectionA)
      .execute();
    const now = Date.now();
    const { campaignActivityId } = world.cc.control.sendCampaign(ACCOUNT_A, {
      name: 'Summer Sale',
      at: now - 300 * MINUTE,
    });
    const contact = await contactOf(persons[1] as number);
    for (const minutesAgo of [200, 180, 150, 20]) {
      world.cc.control.recordEngagement(ACCOUNT_A, {
        campaignActivityId,
        kind: 'opens',
        contactIds: [contact],
        at: now - minutesAgo * MINUTE,
      });
    }
    world.cc.control.recordEngagement(ACCOUNT_A, {
      campaignActivityId,
      kind: 'clicks',
      contactIds: [contact],
      at: now - 19 * MINUTE,
    });
    const before = activitiesOf(companyA).length;
    const result = await poll(connectionA);
    // 200, 180 and 150 minutes ago: one burst (within the hour of its first open); 20 minutes
    // ago: a burst of its own. Clicks are switched off, so the click is not read.
    expect(result?.recorded?.merged).toBe(2);
    const summer = activitiesOf(companyA)
      .slice(before)
      .filter((a) => a.subject.includes('Summer Sale'));
    expect(summer).toHaveLength(2);
  });
});

describe('a person whose panel is opened', () => {
  it('reads that contact’s own report (one call), then a recording poll writes it', async () => {
    const company = world.pd.store.company(companyA)!;
    const person = [...company.persons.values()]
      .filter((p) => !p.is_deleted)
      .sort((a, b) => b.id - a.id)[0]!;
    const { contact_id } = await linkOf(connectionA, person.id);
    const { campaignActivityId } = world.cc.control.sendCampaign(ACCOUNT_A, {
      name: 'Flash Offer',
      at: Date.now() - 10 * MINUTE,
    });
    world.cc.control.recordEngagement(ACCOUNT_A, {
      campaignActivityId,
      kind: 'opens',
      contactIds: [contact_id as string],
      at: Date.now() - 5 * MINUTE,
    });
    world.cc.control.clearRequests();
    const deps = engineDeps(database.db, world, keyring);
    expect(await collectContact(deps, { connectionId: connectionA, contactId: contact_id! })).toBe(
      1,
    );
    expect(world.cc.log.all().map((r) => r.path)).toEqual([
      `/v3/reports/contact_reports/${contact_id}/activity_details`,
    ]);
    // Read again within minutes: nothing is asked of CC.
    expect(await collectContact(deps, { connectionId: connectionA, contactId: contact_id! })).toBe(
      0,
    );
    expect(world.cc.log.all()).toHaveLength(1);

    const recorded = await pollEngagement(deps, { connectionId: connectionA, collect: false });
    expect(recorded?.recorded?.activities).toBe(1);
    const entry = activitiesOf(companyA).find((a) => a.person_id === person.id)!;
    expect(entry.subject).toContain('Flash Offer');
    // The campaign scan meets the same open later and recognises it.
    const before = activitiesOf(companyA).length;
    await poll(connectionA);
    expect(activitiesOf(companyA)).toHaveLength(before);
  });
});

describe('a company whose installing user is not an admin', () => {
  it('gets notes instead of activities, dated when the event happened', async () => {
    const company = world.pd.store.company(companyB)!;
    const typesBefore = company.activityTypes.size;
    const person = [...company.persons.values()].find((p) => !p.is_deleted)!;
    const { contact_id } = await linkOf(connectionB, person.id);
    const at = Date.now() - 45 * MINUTE;
    const { campaignActivityId } = world.cc.control.sendCampaign(ACCOUNT_B, {
      name: 'Partner Update',
      at: at - MINUTE,
    });
    world.cc.control.recordEngagement(ACCOUNT_B, {
      campaignActivityId,
      kind: 'opens',
      contactIds: [contact_id as string],
      at,
    });
    const result = await poll(connectionB);
    expect(result?.recorded?.notes).toBe(1);
    expect(company.activityTypes.size).toBe(typesBefore);
    expect(activitiesOf(companyB)).toEqual([]);
    const notes = [...company.notes.values()].filter((n) => n.person_id === person.id);
    expect(notes).toHaveLength(1);
    expect(notes[0]?.content).toContain('Partner Update');
    expect(notes[0]?.add_time).toBe(Math.floor(at / 1000) * 1000);
    const state = await database.db
      .selectFrom('engagement_state')
      .select('notes_reason')
      .where('connection_id', '=', connectionB)
      .executeTakeFirstOrThrow();
    expect(state.notes_reason).toBe('no_admin');

    // A note write interrupted after Pipedrive took it is found by its ref, not written again.
    await database.db
      .updateTable('engagement_seen')
      .set({ state: 'sending', pipedrive_id: null, intent_at: new Date() })
      .where('connection_id', '=', connectionB)
      .execute();
    const settled = await poll(connectionB);
    expect(settled?.recorded?.reconciled).toBe(1);
    expect([...company.notes.values()].filter((n) => n.person_id === person.id)).toHaveLength(1);
  });
});
