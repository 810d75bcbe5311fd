/**
 * Two-way sync of chosen Pipedrive filters (DESIGN §3 "Rules"): a person outside every filter
 * whose contact is in the CC rule is still synced CC → Pipedrive, but nothing of it goes to
 * CC, neither from the scan nor from its person jobs, until a scan finds it in a filter again.
 * Filter membership fires no webhook: person jobs and polls know it from the last scan.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../../server/crypto.ts';
import { pollConstantContact } from '../../server/sync/engine/cc-poll.ts';
import { syncPerson } from '../../server/sync/engine/person.ts';
import { connectionSettings } from '../../server/sync/settings.ts';
import { createContact } from '../fakes/constant-contact/contacts.ts';
import { addPeopleFilter } from '../fakes/pipedrive/filters.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import {
  connectAndSync,
  contactLinkRow,
  engineDeps,
  linkRow,
  runSync,
  type SyncWorld,
  sameNameRow,
  startEmptyWorld,
  twoWaySettings,
} from '../helpers/sync-world.ts';

const keyring = new Keyring([{ id: 't', key: randomBytes(32) }]);
const ACCOUNT = 'a07e0000filter';
let database: TestDatabase;
let world: SyncWorld;
let companyId: number;
let connectionId: number;
/** In the filter from the start. */
let member: number;
/** Outside the filter, with a contact of its own in CC (CC → Pipedrive links them). */
let outsider: number;

const deps = () => engineDeps(database.db, world, keyring);
const company = () => world.pd.store.company(companyId)!;
const account = () => world.cc.store.account(ACCOUNT);
const person = (id: number) => company().persons.get(id)!;
const contactOf = async (personId: number) => {
  const link = await linkOf(personId);
  return account().contacts.get(link!.contact_id!)!;
};
const linkOf = (personId: number) => linkRow(database.db, connectionId, personId);
const ccWrites = () =>
  world.cc.log.all().filter((r) => r.method !== 'GET' && r.path.startsWith('/v3/')).length;

/** A CC contact on the target list, `<first>@filter.example.com`, made in the CC UI. */
const newContact = (first: string, at = Date.now()) =>
  createContact(
    world.cc.store,
    account(),
    {
      create_source: 'Account',
      first_name: first,
      last_name: 'Test',
      email: { address: `${first.toLowerCase()}@filter.example.com`, permission: 'implicit' },
      list_memberships: [`${ACCOUNT}-target`],
    },
    at,
  );

async function scan(): Promise<void> {
  await runSync(database.db, keyring, world, { connectionId });
}

/** A Pipedrive edit whose webhook the person job answers. */
async function editInPipedrive(personId: number, edit: Record<string, unknown>) {
  world.pd.control.ui.updatePerson(companyId, personId, edit);
  return syncPerson(deps(), { companyId, personId });
}

beforeAll(async () => {
  database = await freshDatabase();
  ({ world, companyId } = await startEmptyWorld('filter-two-way', ACCOUNT));
  const now = Date.now();
  const jobTitle = company().personFields.find((f) => f.key === 'job_title')!;
  const filter = addPeopleFilter(world.pd.store, company(), {
    name: 'VIP',
    at: now,
    conditions: [[String(jobTitle.id), '=', 'VIP']],
  });
  const make = (first: string, jobTitle: string) =>
    world.pd.control.ui.createPerson(companyId, {
      name: `${first} Test`,
      first_name: first,
      last_name: 'Test',
      job_title: jobTitle,
      emails: [{ value: `${first.toLowerCase()}@filter.example.com`, primary: true }],
    }).id;
  member = make('Mona', 'VIP');
  outsider = make('Otto', 'Intern');
  newContact('Otto', now);
  const settings = connectionSettings.parse({
    ...twoWaySettings(world, companyId, ACCOUNT, [
      sameNameRow('first_name'),
      sameNameRow('last_name'),
    ]),
    pipedriveSource: { kind: 'filters', filterIds: [filter.id] },
  });
  ({ connectionId } = await connectAndSync(database.db, keyring, world, {
    companyId,
    ccAccountId: ACCOUNT,
    settings,
  }));
});

afterAll(async () => {
  await world.close();
  await database.drop();
});

describe('two-way sync of a Pipedrive filter', () => {
  it('links the member (contact created) and the outsider who has a contact', async () => {
    expect(await linkOf(member)).toMatchObject({ state: 'active', person_in_rule: true });
    expect((await contactOf(member)).first_name).toBe('Mona');
    expect(await linkOf(outsider)).toMatchObject({ state: 'active', person_in_rule: false });
  });

  it("sends nothing of an outsider's Pipedrive edits to CC", async () => {
    const writes = ccWrites();
    expect(await editInPipedrive(outsider, { first_name: 'Ottokar', last_name: 'Test' })).toEqual([
      'nothing',
    ]);
    expect((await contactOf(outsider)).first_name).toBe('Otto');
    expect(ccWrites()).toBe(writes);
    await scan();
    expect((await contactOf(outsider)).first_name).toBe('Otto');
    expect(ccWrites()).toBe(writes);
  });

  it("still brings the outsider's contact edits to Pipedrive", async () => {
    const contact = await contactOf(outsider);
    world.cc.control.editInUi(ACCOUNT, contact.contact_id, { last_name: 'Outside' });
    await pollConstantContact(deps(), { connectionId });
    expect(person(outsider).last_name).toBe('Outside');
  });

  it('a member who leaves the filter stops sending to CC once a scan has seen it', async () => {
    await editInPipedrive(member, { job_title: 'Former VIP' });
    await scan();
    expect(await linkOf(member)).toMatchObject({ state: 'active', person_in_rule: false });
    const writes = ccWrites();
    await editInPipedrive(member, { first_name: 'Monika', last_name: 'Test' });
    expect((await contactOf(member)).first_name).toBe('Mona');
    expect(ccWrites()).toBe(writes);
  });

  it('resumes when a scan finds it in the filter again, with the edit made meanwhile', async () => {
    world.pd.control.ui.updatePerson(companyId, member, { job_title: 'VIP' });
    await scan();
    expect(await linkOf(member)).toMatchObject({ state: 'active', person_in_rule: true });
    expect((await contactOf(member)).first_name).toBe('Monika');
    await editInPipedrive(member, { first_name: 'Mo', last_name: 'Test' });
    expect((await contactOf(member)).first_name).toBe('Mo');
  });

  it('a scan that moves a member off an address syncs the member waiting for it', async () => {
    const vip = (first: string, email: string) =>
      world.pd.control.ui.createPerson(companyId, {
        name: `${first} Test`,
        first_name: first,
        last_name: 'Test',
        job_title: 'VIP',
        emails: [{ value: email, primary: true }],
      }).id;
    const pia = vip('Pia', 'pia@filter.example.com');
    await scan();
    expect(await linkOf(pia)).toMatchObject({ state: 'active', person_in_rule: true });
    const quin = vip('Quin', 'pia@filter.example.com');
    await scan();
    expect(await linkOf(quin)).toBeUndefined();
    // Pia moves to another address, and its webhook is lost: the scan finds it.
    world.pd.control.ui.updatePerson(companyId, pia, {
      emails: [{ value: 'pia.new@filter.example.com', primary: true }],
    });

    await scan();
    expect((await contactOf(pia)).email?.address).toBe('pia.new@filter.example.com');
    expect(await linkOf(quin)).toMatchObject({
      state: 'active',
      person_in_rule: true,
      email: 'pia@filter.example.com',
    });
    expect((await contactOf(quin)).first_name).toBe('Quin');
  });

  it('a scan that finds a linked outsider gone hands its contact to the member waiting for it', async () => {
    // Seed 3496 of the simulation: the outsider Rex (linked by CC → Pipedrive) is deleted (there
    // by a merge) and the webhook is lost; Sue, in the filter, has Rex's address and waits as his
    // duplicate. A scan that reads every person knows Rex is gone, not out of the filter.
    const contact = newContact('Rex');
    await scan();
    const rex = (await contactLinkRow(database.db, connectionId, contact.contact_id))!.person_id!;
    expect(await linkOf(rex)).toMatchObject({ state: 'active', person_in_rule: false });
    const sue = world.pd.control.ui.createPerson(companyId, {
      name: 'Sue Test',
      first_name: 'Sue',
      last_name: 'Test',
      job_title: 'VIP',
      emails: [{ value: 'rex@filter.example.com', primary: true }],
    }).id;
    await scan();
    expect(await linkOf(sue)).toBeUndefined();

    world.pd.control.ui.deletePerson(companyId, rex);
    await scan();
    // Rex's link went to Sue with the contact.
    expect(await linkOf(rex)).toBeUndefined();
    expect(await linkOf(sue)).toMatchObject({
      state: 'active',
      person_in_rule: true,
      contact_id: contact.contact_id,
    });
    expect(account().contacts.get(contact.contact_id)?.first_name).toBe('Sue');
  });
});
