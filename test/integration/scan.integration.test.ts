/**
 * The scheduled full scan (engine/scan.ts; DESIGN §3): Pipedrive filter membership changes fire
 * no webhook and a CC delete may not move `updated_at`, so only the scan sees them. Persons
 * entering the filter are linked (their contact created); persons leaving it stop syncing with
 * nothing deleted or unsubscribed; a contact deleted in CC is marked on its link and shown on
 * the person. Scans come due by the budget-derived interval.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../../server/crypto.ts';
import { personEmail } from '../../server/sync/core/normalise.ts';
import { pollConstantContact } from '../../server/sync/engine/cc-poll.ts';
import { CC_STATUS_FIELD_NAME } from '../../server/sync/engine/cc-status.ts';
import { syncPerson } from '../../server/sync/engine/person.ts';
import {
  dueScans,
  scanIntervalSeconds,
  scanPages,
  scanSchedules,
} from '../../server/sync/engine/scan.ts';
import { connectionSettings } from '../../server/sync/settings.ts';
import { softDelete } from '../fakes/constant-contact/contacts.ts';
import { DEMO_ACCOUNT_ID } from '../fakes/constant-contact/demo.ts';
import { addPeopleFilter } from '../fakes/pipedrive/filters.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import {
  connectAndSync,
  engineDeps,
  firstCompanyId,
  linkRow,
  openErrorCodes,
  runSync,
  type SyncWorld,
  sameNameRow,
  startSyncWorld,
  twoWaySettings,
} from '../helpers/sync-world.ts';

const keyring = new Keyring([{ id: 't', key: randomBytes(32) }]);
const budget = { ccPerDay: 10_000, pipedriveShare: 0.5 };
let database: TestDatabase;
let world: SyncWorld;
let companyId: number;
let connectionId: number;
let vip: number[];

const deps = () => engineDeps(database.db, world, keyring);
const company = () => world.pd.store.company(companyId)!;
const account = () => world.cc.store.account(DEMO_ACCOUNT_ID);
const linkOf = (personId: number) => linkRow(database.db, connectionId, personId);
const contactOf = (personId: number) => {
  const email = personEmail(company().persons.get(personId)!.emails);
  if (!email.ok) throw new Error('test person without email');
  return [...account().contacts.values()].find(
    (c) => c.email?.address.toLowerCase() === email.email,
  );
};

const openErrors = (personId: number) => openErrorCodes(database.db, connectionId, personId);

async function scan(): Promise<void> {
  await runSync(database.db, keyring, world, { connectionId });
}

/** Persons with a primary email of their own, that no CC contact carries yet. */
function newcomers(n: number): number[] {
  const taken = new Set(
    [...account().contacts.values()].map((c) => c.email?.address.toLowerCase()),
  );
  const seen = new Set<string>();
  const found: number[] = [];
  for (const person of [...company().persons.values()].sort((a, b) => a.id - b.id)) {
    const email = personEmail(person.emails);
    if (!email.ok || seen.has(email.email)) continue;
    seen.add(email.email);
    if (!taken.has(email.email)) found.push(person.id);
    if (found.length === n) break;
  }
  return found;
}

beforeAll(async () => {
  database = await freshDatabase();
  world = await startSyncWorld({
    name: 'scan',
    constantContact: { rateLimits: { enabled: false } },
  });
  companyId = firstCompanyId(world);
  const jobTitle = company().personFields.find((f) => f.key === 'job_title')!;
  const { id: filterId } = addPeopleFilter(world.pd.store, company(), {
    name: 'VIP',
    at: Date.now(),
    conditions: [[String(jobTitle.id), '=', 'VIP']],
  });
  vip = newcomers(3);
  for (const id of vip.slice(0, 2)) company().persons.get(id)!.job_title = 'VIP';
  const settings = connectionSettings.parse({
    ...twoWaySettings(world, companyId, DEMO_ACCOUNT_ID, [
      { ...sameNameRow('first_name'), direction: 'to_cc' },
    ]),
    direction: 'to_cc',
    pipedriveSource: { kind: 'filters', filterIds: [filterId] },
  });
  ({ connectionId } = await connectAndSync(database.db, keyring, world, {
    companyId,
    ccAccountId: DEMO_ACCOUNT_ID,
    settings,
  }));
});

afterAll(async () => {
  await world.close();
  await database.drop();
});

describe('scheduled full scan', () => {
  it('the initial sync linked the filter members only', async () => {
    for (const id of vip.slice(0, 2)) {
      expect((await linkOf(id))?.state).toBe('active');
      expect(contactOf(id)).toBeDefined();
    }
    expect(await linkOf(vip[2]!)).toBeUndefined();
  });

  it('a person entering the filter is linked by the scan, not by its webhook', async () => {
    const [entering] = [vip[2]!];
    company().persons.get(entering)!.job_title = 'VIP';
    await syncPerson(deps(), { companyId, personId: entering });
    expect(contactOf(entering)).toBeUndefined();

    await scan();
    expect((await linkOf(entering))?.state).toBe('active');
    const contact = contactOf(entering)!;
    expect(contact.email?.permission).toBe('implicit');
    const target = twoWaySettings(world, companyId, DEMO_ACCOUNT_ID, []).targetListIds[0]!;
    expect(contact.list_memberships).toContain(target);
  });

  it('a person leaving the filter stops syncing; its contact stays subscribed and listed', async () => {
    const leaving = vip[0]!;
    const before = structuredClone(contactOf(leaving)!);
    company().persons.get(leaving)!.job_title = 'Former VIP';
    await scan();
    expect((await linkOf(leaving))?.state).toBe('out_of_rule');
    const after = contactOf(leaving)!;
    expect(after.deletedAt).toBeUndefined();
    expect(after.email?.permission).toBe(before.email?.permission);
    expect(after.list_memberships).toEqual(before.list_memberships);

    // Out of the rule, its changes no longer reach CC.
    company().persons.get(leaving)!.first_name = 'Changed while out';
    await syncPerson(deps(), { companyId, personId: leaving });
    expect(contactOf(leaving)!.first_name).toBe(before.first_name);

    // Back in the filter: the next scan resumes it.
    company().persons.get(leaving)!.job_title = 'VIP';
    await scan();
    expect((await linkOf(leaving))?.state).toBe('active');
  });

  it('a CC delete the poll cannot see is found by the scan and shown on the person', async () => {
    const personId = vip[1]!;
    world.cc.control.setBehaviour({ deleteTouchesUpdatedAt: false });
    // Ten minutes on, another contact's edit moves the poll's watermark past this one's
    // overlap window, so only a change that moves updated_at could reach the poll.
    world.cc.control.setClock({ advance: 10 * 60_000 });
    const other = [...account().contacts.values()].find(
      (c) => c.deletedAt === undefined && c.contact_id !== contactOf(personId)!.contact_id,
    )!;
    world.cc.control.editInUi(DEMO_ACCOUNT_ID, other.contact_id, {});
    await pollConstantContact(deps(), { connectionId });
    softDelete(world.cc.store, contactOf(personId)!, world.cc.control.clock().now);
    await pollConstantContact(deps(), { connectionId });
    expect((await linkOf(personId))?.state).toBe('active');

    await scan();
    const link = await linkOf(personId);
    expect(link?.state).toBe('contact_deleted');
    expect(link?.cc_status).toBe('Deleted in Constant Contact');
    const field = company().personFields.find((f) => f.name === CC_STATUS_FIELD_NAME)!;
    expect(company().persons.get(personId)!.custom_fields[field.key]).toBe(
      'Deleted in Constant Contact',
    );
    // Deleted, not unsubscribed: nothing was resubscribed or recreated.
    expect(contactOf(personId)!.deletedAt).toBeDefined();
    expect(world.cc.control.permissionAttempts()).toEqual([]);
  });

  it('an email change and a cleared field whose webhooks were lost reach the same contact', async () => {
    const personId = vip[2]!;
    const contactId = contactOf(personId)!.contact_id;
    const contactsBefore = account().contacts.size;
    const person = company().persons.get(personId)!;
    person.emails = [{ value: 'moved.by.scan@example.com', primary: true, label: 'work' }];
    person.first_name = '';
    await scan();

    expect(account().contacts.size).toBe(contactsBefore);
    const contact = account().contacts.get(contactId)!;
    expect(contact.email?.address).toBe('moved.by.scan@example.com');
    expect(contact.first_name ?? null).toBeNull();
    const link = await linkOf(personId);
    expect(link).toMatchObject({ contact_id: contactId, email: 'moved.by.scan@example.com' });
  });

  it('leaves the errors of persons outside the filter alone: not read is not deleted', async () => {
    // This rule reads the filter's members only (DESIGN §3: a CC contact never becomes a
    // person here), so a person it did not read may well exist: its errors stay open.
    const [owner, twin] = newcomers(2) as [number, number];
    const email = personEmail(company().persons.get(owner)!.emails);
    if (!email.ok) throw new Error('test person without email');
    company().persons.get(twin)!.emails = [{ value: email.email, primary: true, label: 'work' }];
    for (const id of [owner, twin]) company().persons.get(id)!.job_title = 'VIP';
    await scan();
    expect((await linkOf(owner))?.state).toBe('active');
    expect(await openErrors(twin)).toEqual(['DUPLICATE_EMAIL']);

    company().persons.get(twin)!.job_title = 'Former VIP';
    await scan();
    expect(await openErrors(twin)).toEqual(['DUPLICATE_EMAIL']);
  });

  it('comes due by the interval after the last scan, and never while a run is going', async () => {
    const [schedule] = await scanSchedules(database.db, budget);
    expect(schedule?.connectionId).toBe(connectionId);
    expect(schedule?.lastScanAt).not.toBeNull();
    const last = Date.parse(schedule!.lastScanAt!);
    expect(await dueScans(database.db, last + 1000, budget)).toEqual([]);
    const due = last + schedule!.intervalSeconds * 1000;
    expect(await dueScans(database.db, due, budget)).toEqual([connectionId]);
    await database.db
      .insertInto('sync_runs')
      .values({ connection_id: connectionId, kind: 'scan' })
      .execute();
    expect(await dueScans(database.db, due, budget)).toEqual([]);
  });
});

describe('scan interval', () => {
  it('is hourly for small accounts and grows with the account and the connections', () => {
    const small = { pages: scanPages(200), ccPagesAll: scanPages(200), pipedriveDailyBudget: null };
    expect(scanIntervalSeconds({ ...small, budget })).toBe(3600);
    // 100,000 contacts: 201 pages a side. CC: 201 pages of a 1,000-call scan share a day.
    const big = { pages: 201, ccPagesAll: 201, pipedriveDailyBudget: 1_000_000 };
    expect(scanIntervalSeconds({ ...big, budget })).toBe(Math.ceil((86_400 * 201) / 1000));
    // Pipedrive's smallest budget: 201 pages × 10 tokens of 30,000 × 0.5 × 0.1 a day.
    expect(scanIntervalSeconds({ ...big, pipedriveDailyBudget: null, budget })).toBe(
      Math.ceil((86_400 * 201 * 10) / 1500),
    );
    // Ten such connections share the CC key.
    expect(scanIntervalSeconds({ ...big, ccPagesAll: 2010, budget })).toBe(
      Math.ceil((86_400 * 2010) / 1000),
    );
  });
});
