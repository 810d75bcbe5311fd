/**
 * Batched person jobs (engine/person.ts `syncPersons`): when changes queue up, the plain updates
 * of linked contacts go to Constant Contact in one JSON import per list instead of a PUT each;
 * an email change or an emptied field still gets its own PUT (the import can do neither), and
 * the contacts' list memberships and permissions stay as they were.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../../server/crypto.ts';
import { recordJobGivenUp, syncPersons } from '../../server/sync/engine/person.ts';
import { DEMO_ACCOUNT_ID } from '../fakes/constant-contact/demo.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import {
  engineDeps,
  type SyncWorld,
  sameNameRow,
  startDemoSync,
  twoWaySettings,
} from '../helpers/sync-world.ts';

const keyring = new Keyring([{ id: 't', key: randomBytes(32) }]);
let database: TestDatabase;
let world: SyncWorld;
let companyId: number;
let linked: { person_id: number; contact_id: string }[];

const account = () => world.cc.store.account(DEMO_ACCOUNT_ID);
const company = () => world.pd.store.company(companyId)!;
const ccCalls = (method: string, pattern: RegExp) =>
  world.cc.log.all().filter((r) => r.method === method && pattern.test(r.path)).length;
const sync = (personIds: number[]) =>
  syncPersons(
    engineDeps(database.db, world, keyring),
    personIds.map((personId) => ({ companyId, personId })),
  );

beforeAll(async () => {
  database = await freshDatabase();
  let connectionId: number;
  ({ world, companyId, connectionId } = await startDemoSync(database.db, keyring, {
    name: 'batch',
    mapping: [sameNameRow('first_name'), sameNameRow('job_title')],
  }));
  const rows = await database.db
    .selectFrom('links')
    .select(['person_id', 'contact_id'])
    .where('connection_id', '=', connectionId)
    .where('state', '=', 'active')
    .where('person_id', 'is not', null)
    .where('contact_id', 'is not', null)
    .orderBy('person_id')
    .execute();
  // Subscribed contacts on the target list, so every kind of write is possible.
  const target = twoWaySettings(world, companyId, DEMO_ACCOUNT_ID, []).targetListIds[0]!;
  linked = rows
    .map((r) => ({ person_id: r.person_id as number, contact_id: r.contact_id as string }))
    .filter((r) => {
      const c = account().contacts.get(r.contact_id);
      return c?.email?.permission === 'implicit' && c.list_memberships?.includes(target);
    });
  expect(linked.length).toBeGreaterThanOrEqual(9);
});

afterAll(async () => {
  await world.close();
  await database.drop();
});

describe('batched person jobs', () => {
  it('sends the plain updates of a burst in one import, and the rest by PUT', async () => {
    const plain = linked.slice(0, 5);
    const [moved, emptied] = linked.slice(5, 7) as [(typeof linked)[0], (typeof linked)[0]];
    const listsBefore = new Map(
      [...plain, moved, emptied].map((l) => [
        l.contact_id,
        [...(account().contacts.get(l.contact_id)!.list_memberships ?? [])],
      ]),
    );
    for (const [i, l] of plain.entries())
      company().persons.get(l.person_id)!.job_title = `Batched title ${i}`;
    company().persons.get(moved.person_id)!.emails = [
      { value: 'moved.in.batch@example.com', primary: true, label: 'work' },
    ];
    company().persons.get(emptied.person_id)!.job_title = '';
    const imports = ccCalls('POST', /contacts_json_import$/);
    const puts = ccCalls('PUT', /^\/v3\/contacts\//);

    const results = await sync([...plain, moved, emptied].map((l) => l.person_id));
    expect(results.every((kinds) => kinds.includes('update_contact'))).toBe(true);
    expect(ccCalls('POST', /contacts_json_import$/) - imports).toBe(1);
    expect(ccCalls('PUT', /^\/v3\/contacts\//) - puts).toBe(2);

    for (const [i, l] of plain.entries())
      expect(account().contacts.get(l.contact_id)!.job_title).toBe(`Batched title ${i}`);
    expect(account().contacts.get(moved.contact_id)!.email?.address).toBe(
      'moved.in.batch@example.com',
    );
    expect(account().contacts.get(emptied.contact_id)!.job_title ?? null).toBeNull();
    for (const [contactId, lists] of listsBefore) {
      const contact = account().contacts.get(contactId)!;
      expect(contact.list_memberships).toEqual(lists);
      expect(contact.email?.permission).toBe('implicit');
    }
  });

  it('a second run of the same jobs writes nothing (their values are the base now)', async () => {
    const writes = world.cc.log.all().filter((r) => r.method !== 'GET').length;
    const results = await sync(linked.slice(0, 7).map((l) => l.person_id));
    expect(results.flat().filter((k) => k !== 'nothing')).toEqual([]);
    expect(world.cc.log.all().filter((r) => r.method !== 'GET').length).toBe(writes);
  });

  it('a burst of two updates is cheaper as two PUTs, and goes so', async () => {
    const pair = linked.slice(7, 9);
    for (const l of pair) company().persons.get(l.person_id)!.job_title = 'Just two';
    const imports = ccCalls('POST', /contacts_json_import$/);
    const puts = ccCalls('PUT', /^\/v3\/contacts\//);
    await sync(pair.map((l) => l.person_id));
    expect(ccCalls('POST', /contacts_json_import$/)).toBe(imports);
    expect(ccCalls('PUT', /^\/v3\/contacts\//) - puts).toBe(2);
    for (const l of pair) expect(account().contacts.get(l.contact_id)!.job_title).toBe('Just two');
  });

  it('a deleted person keeps its mark through later syncs, and its duplicate takes the contact', async () => {
    const gone = linked[9]!;
    const email = company().persons.get(gone.person_id)!.emails[0]!.value;
    const twin = world.pd.control.ui.createPerson(companyId, {
      name: 'Same Email',
      emails: [{ value: email, primary: true, label: 'work' }],
    });
    // The twin is newer: the linked person owns the email, the twin is its duplicate.
    expect((await sync([twin.id]))[0]).toContain('record_error');

    world.pd.control.ui.deletePerson(companyId, gone.person_id);
    await sync([gone.person_id]);
    const links = await database.db
      .selectFrom('links')
      .select(['person_id', 'contact_id', 'state'])
      .where('contact_id', '=', gone.contact_id)
      .execute();
    expect(links).toEqual([{ person_id: twin.id, contact_id: gone.contact_id, state: 'active' }]);
    // Nothing was deleted, unsubscribed or created in CC for the deletion.
    const contact = account().contacts.get(gone.contact_id)!;
    expect(contact.deletedAt).toBeUndefined();
    expect(contact.email?.permission).toBe('implicit');
  });

  it('a job given up under an outage leaves the person an error, resolved by its next sync', async () => {
    const l = linked[10]!;
    company().persons.get(l.person_id)!.job_title = 'During the outage';
    world.cc.control.addFault({ method: 'PUT', path: '^/v3/contacts/', status: 503, times: 50 });
    const deps = engineDeps(database.db, world, keyring);
    const error = await syncPersons(deps, [{ companyId, personId: l.person_id }]).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).not.toBeNull();
    await recordJobGivenUp(deps, { companyId, personId: l.person_id }, error);
    const open = () =>
      database.db
        .selectFrom('contact_errors')
        .select('code')
        .where('person_id', '=', l.person_id)
        .where('resolved_at', 'is', null)
        .execute();
    expect(await open()).toEqual([{ code: 'PROVIDER_UNAVAILABLE' }]);

    world.cc.control.clearFaults();
    await sync([l.person_id]);
    expect(account().contacts.get(l.contact_id)!.job_title).toBe('During the outage');
    expect(await open()).toEqual([]);
  });
});
