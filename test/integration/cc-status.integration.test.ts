/**
 * Opt-outs and the "Constant Contact status" field (DESIGN §3 "Deletes, merges, subscriptions";
 * constant-contact-api.md §12): an unsubscribe moves only the email's timestamp, so the poll
 * finds it through `optout_after`; the linked person shows it in the app-managed field, which
 * is created once per company; no later sync resubscribes the contact.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../../server/crypto.ts';
import { personEmail } from '../../server/sync/core/normalise.ts';
import { pollConstantContact } from '../../server/sync/engine/cc-poll.ts';
import { CC_STATUS_FIELD_NAME } from '../../server/sync/engine/cc-status.ts';
import { syncPerson } from '../../server/sync/engine/person.ts';
import { DEMO_ACCOUNT_ID } from '../fakes/constant-contact/demo.ts';
import type { PipedriveFake } from '../fakes/pipedrive/server.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { engineDeps, type SyncWorld, sameNameRow, startDemoSync } from '../helpers/sync-world.ts';

const keyring = new Keyring([{ id: 't', key: randomBytes(32) }]);
let database: TestDatabase;
let world: SyncWorld;
let companyId: number;
let connectionId: number;
/** Linked before the initial sync ran: opted out, and deleted. */
let optedOutBefore: { personId: number; contactId: string };
let deletedBefore: { personId: number; contactId: string };

const deps = () => engineDeps(database.db, world, keyring);
const poll = () => pollConstantContact(deps(), { connectionId });
const company = () => world.pd.store.company(companyId)!;
const statusFields = () =>
  company().personFields.filter((f) => f.active && f.name === CC_STATUS_FIELD_NAME);
const statusOf = (personId: number) => {
  const key = statusFields()[0]?.key;
  return key ? company().persons.get(personId)?.custom_fields[key] : undefined;
};
const pipedriveWrites = (pd: PipedriveFake) =>
  pd.log.all().filter((r) => r.method !== 'GET').length;

/** Persons owning their primary email, paired with the CC contact carrying it. */
function pairs(): { personId: number; contactId: string }[] {
  const account = world.cc.store.account(DEMO_ACCOUNT_ID);
  const byEmail = new Map(
    [...account.contacts.values()].map((c) => [c.email?.address.toLowerCase(), c]),
  );
  const seen = new Set<string>();
  const found: { personId: number; contactId: string }[] = [];
  const owners = [...company().persons.values()].sort(
    (a, b) => a.add_time - b.add_time || a.id - b.id,
  );
  for (const person of owners) {
    const email = personEmail(person.emails);
    if (!email.ok || seen.has(email.email)) continue;
    seen.add(email.email);
    const contact = byEmail.get(email.email);
    if (
      contact &&
      contact.deletedAt === undefined &&
      (contact.email?.permission === 'implicit' || contact.email?.permission === 'explicit')
    )
      found.push({ personId: person.id, contactId: contact.contact_id });
  }
  return found;
}

beforeAll(async () => {
  database = await freshDatabase();
  ({ world, companyId, connectionId } = await startDemoSync(database.db, keyring, {
    name: 'ccstatus',
    mapping: [sameNameRow('job_title')],
    beforeSync: (w, id) => {
      // pairs() reads the module's world and company.
      world = w;
      companyId = id;
      const [a, b] = pairs();
      optedOutBefore = a!;
      deletedBefore = b!;
      w.cc.control.unsubscribe(DEMO_ACCOUNT_ID, optedOutBefore.contactId, {
        reason: 'too many',
      });
      w.cc.control.editInUi(DEMO_ACCOUNT_ID, deletedBefore.contactId, {});
      const deleted = w.cc.store.account(DEMO_ACCOUNT_ID).contacts.get(deletedBefore.contactId)!;
      deleted.deletedAt = Date.now();
      delete deleted.list_memberships;
    },
  }));
});

afterAll(async () => {
  await world.close();
  await database.drop();
});

describe('Constant Contact status in Pipedrive', () => {
  it('the initial sync shows a contact opted out before it, and writes nothing for subscribed ones', async () => {
    expect(statusFields()).toHaveLength(1);
    expect(statusOf(optedOutBefore.personId)).toBe('Unsubscribed');
    // The deleted contact's person is in the rule, so the initial sync revived the contact.
    const revived = world.cc.store.account(DEMO_ACCOUNT_ID).contacts.get(deletedBefore.contactId)!;
    expect(revived.deletedAt).toBeUndefined();
    expect(statusOf(deletedBefore.personId)).toBeUndefined();
    const links = await database.db
      .selectFrom('links')
      .select(['person_id', 'contact_id', 'cc_status'])
      .where('connection_id', '=', connectionId)
      .where('state', '=', 'active')
      .where('person_id', 'is not', null)
      .where('contact_id', 'is not', null)
      .execute();
    const account = world.cc.store.account(DEMO_ACCOUNT_ID);
    const expected: Record<string, string | null> = {
      implicit: null,
      explicit: null,
      unsubscribed: 'Unsubscribed',
      pending_confirmation: 'Pending confirmation',
    };
    let unsubscribed = 0;
    for (const link of links) {
      const permission = account.contacts.get(link.contact_id!)!.email?.permission ?? 'not_set';
      const status = permission in expected ? expected[permission] : 'Not subscribed';
      expect(link.cc_status, `person ${link.person_id} (${permission})`).toBe(status);
      expect(statusOf(link.person_id!) ?? null).toBe(status);
      if (status === 'Unsubscribed') unsubscribed += 1;
    }
    expect(unsubscribed).toBeGreaterThanOrEqual(1);
    expect(links.filter((l) => l.cc_status === null).length).toBeGreaterThan(unsubscribed);

    // Each status went to Pipedrive once: written while CC was still being read, then only
    // recorded on the new link (a second PATCH would change nothing).
    const updated = new Set(
      (
        await database.db
          .selectFrom('contact_events')
          .select('person_id')
          .where('connection_id', '=', connectionId)
          .where('kind', '=', 'update_person')
          .execute()
      ).map((e) => e.person_id),
    );
    for (const link of links.filter((l) => l.cc_status !== null)) {
      const patches = world.pd.log
        .all()
        .filter((r) => r.method === 'PATCH' && r.path.endsWith(`/persons/${link.person_id}`));
      expect(patches.length, `PATCHes of person ${link.person_id}`).toBe(
        updated.has(link.person_id) ? 2 : 1,
      );
    }
  });

  it('the poll finds an opt-out that updated_after misses and shows it on the person', async () => {
    const target = pairs()[0]!;
    await poll(); // settle the watermarks after the initial sync
    world.cc.control.unsubscribe(DEMO_ACCOUNT_ID, target.contactId, { reason: 'not interested' });
    // The contact's own updated_at did not move (§12): only the opt-out pass can see it.
    const polled = await poll();
    expect(polled.optoutWatermark).not.toBeNull();
    expect(statusOf(target.personId)).toBe('Unsubscribed');
    expect(statusFields()).toHaveLength(1);

    const writes = pipedriveWrites(world.pd);
    await poll();
    expect(pipedriveWrites(world.pd)).toBe(writes);
  });

  it('a later change of the person updates the contact but never resubscribes it', async () => {
    const link = await database.db
      .selectFrom('links')
      .select(['person_id', 'contact_id'])
      .where('connection_id', '=', connectionId)
      .where('cc_status', '=', 'Unsubscribed')
      .orderBy('person_id')
      .executeTakeFirstOrThrow();
    const person = company().persons.get(link.person_id as number)!;
    person.job_title = 'Changed after the opt-out';
    await syncPerson(deps(), { companyId, personId: link.person_id as number });
    const contact = world.cc.store.account(DEMO_ACCOUNT_ID).contacts.get(link.contact_id!)!;
    expect(contact.job_title).toBe('Changed after the opt-out');
    expect(contact.email?.permission).toBe('unsubscribed');
    expect(world.cc.control.permissionAttempts()).toEqual([]);
  });

  it('a contact deleted in CC, then back, shows Deleted and then Subscribed again', async () => {
    const target = pairs()[1]!;
    const account = world.cc.store.account(DEMO_ACCOUNT_ID);
    const contact = account.contacts.get(target.contactId)!;
    world.cc.control.setBehaviour({ deleteTouchesUpdatedAt: true });
    contact.deletedAt = Date.now();
    contact.updatedAt = Date.now();
    await poll();
    expect(statusOf(target.personId)).toBe('Deleted in Constant Contact');

    // The person changes while in the rule: the contact is revived (DESIGN §3).
    company().persons.get(target.personId)!.job_title = 'Revive me';
    await syncPerson(deps(), { companyId, personId: target.personId });
    expect(account.contacts.get(target.contactId)!.deletedAt).toBeUndefined();
    expect(statusOf(target.personId)).toBe('Subscribed');
  });
});
