/**
 * Continuous sync, Constant Contact → Pipedrive: after the initial sync, a contact edited in
 * Constant Contact's UI reaches its person through the poll; the watermark moves forward and a
 * second poll writes nothing.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../../server/crypto.ts';
import {
  duePolls,
  pollConstantContact,
  pollIntervalSeconds,
} from '../../server/sync/engine/cc-poll.ts';
import { DEMO_ACCOUNT_ID } from '../fakes/constant-contact/demo.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import {
  contactLinkRow,
  engineDeps,
  type SyncWorld,
  sameNameRow,
  startDemoSync,
} from '../helpers/sync-world.ts';

const keyring = new Keyring([{ id: 't', key: randomBytes(32) }]);
let database: TestDatabase;
let world: SyncWorld;
let companyId: number;
let connectionId: number;

const poll = () => pollConstantContact(engineDeps(database.db, world, keyring), { connectionId });
const pipedriveWrites = () => world.pd.log.all().filter((r) => r.method !== 'GET').length;
const personReads = () =>
  world.pd.log.all().filter((r) => r.method === 'GET' && /\/persons\/\d+$/.test(r.path)).length;

beforeAll(async () => {
  database = await freshDatabase();
  ({ world, companyId, connectionId } = await startDemoSync(database.db, keyring, {
    name: 'poll',
    mapping: [sameNameRow('job_title')],
  }));
});

afterAll(async () => {
  await world.close();
  await database.drop();
});

describe('Constant Contact poll', () => {
  it('carries a CC UI edit to the linked person, then a second poll writes nothing', async () => {
    const link = await database.db
      .selectFrom('links')
      .selectAll()
      .where('state', '=', 'active')
      .orderBy('person_id')
      .executeTakeFirstOrThrow();
    world.cc.control.editInUi(DEMO_ACCOUNT_ID, link.contact_id as string, {
      job_title: 'Edited in Constant Contact',
    });
    const readsBefore = personReads();
    const first = await poll();
    // The first poll also meets every contact the initial sync wrote; those equal their link's
    // base, so only the edited contact's person is read.
    expect(personReads() - readsBefore).toBe(1);
    expect(first.contacts).toBeGreaterThan(0);
    expect(first.actions.update_person).toBe(1);
    const person = world.pd.store.company(companyId)!.persons.get(link.person_id as number)!;
    expect(person.job_title).toBe('Edited in Constant Contact');

    const writes = pipedriveWrites();
    const second = await poll();
    expect(second.actions.update_person ?? 0).toBe(0);
    expect(pipedriveWrites()).toBe(writes);
    expect(second.watermark! >= first.watermark!).toBe(true);
  });

  it('remembers when it polled, and says when the next poll is due from the budget', async () => {
    const connection = await database.db
      .selectFrom('connections')
      .select('cursors')
      .where('id', '=', connectionId)
      .executeTakeFirstOrThrow();
    const cursors = connection.cursors as { lastCcPollAt: string; ccUpdatedAfter: string };
    expect(Date.parse(cursors.lastCcPollAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(await duePolls(database.db, Date.now())).toEqual([]);
    expect(await duePolls(database.db, Date.now() + pollIntervalSeconds(1) * 1000)).toEqual([
      connectionId,
    ]);
  });

  it('polls less often as more connections share the app key', () => {
    // A quarter of 10,000 calls a day at 3 calls a poll: 833 polls a day, shared out.
    expect(pollIntervalSeconds(1)).toBe(104);
    expect(pollIntervalSeconds(10)).toBe(1037);
    expect(pollIntervalSeconds(1, 250_000)).toBe(60);
  });
});

describe('matching a new Constant Contact contact', () => {
  it('ignores a person who only has the email as a secondary address', async () => {
    const company = world.pd.store.company(companyId)!;
    const holder = [...company.persons.values()].find(
      (p) => !p.is_deleted && p.emails.length > 1 && !p.emails[1]!.primary,
    )!;
    const secondary = holder.emails[1]!.value.toLowerCase();
    const token = world.cc.control.mintToken({
      clientId: world.apps.cc.id,
      accountId: DEMO_ACCOUNT_ID,
    });
    const created = await fetch(`${world.cc.baseUrl}/v3/contacts`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token.access_token}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        email_address: { address: secondary },
        first_name: 'Second',
        create_source: 'Account',
      }),
    });
    expect(created.status).toBe(201);
    const contactId = ((await created.json()) as { contact_id: string }).contact_id;

    await poll();
    const link = await contactLinkRow(database.db, connectionId, contactId);
    // Two-way: the contact got a person of its own, not the one holding it as a second email.
    expect(link).toBeDefined();
    expect(link?.person_id).not.toBe(holder.id);
    const holderLink = await database.db
      .selectFrom('links')
      .select('contact_id')
      .where('person_id', '=', holder.id)
      .executeTakeFirst();
    expect(holderLink?.contact_id ?? null).not.toBe(contactId);
  });
});
