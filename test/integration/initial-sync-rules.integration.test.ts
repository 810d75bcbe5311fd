/**
 * The initial sync's rules in each one-way direction over the demo accounts: what may be
 * written where, option labels joined, organization names carried, owners given to created
 * persons, and nothing written towards the side the direction protects.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Keyring } from '../../server/crypto.ts';
import { personEmail } from '../../server/sync/core/normalise.ts';
import { runInitialSync } from '../../server/sync/engine/initial.ts';
import type { ConnectionSettings, MappingRow } from '../../server/sync/settings.ts';
import { DEMO_ACCOUNT_ID } from '../fakes/constant-contact/demo.ts';
import { demoFieldKeys } from '../fakes/pipedrive/demo.ts';
import { connectCompany } from '../helpers/connected.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { engineDeps, firstCompanyId, startSyncWorld } from '../helpers/sync-world.ts';

const keyring = new Keyring([{ id: 't', key: randomBytes(32) }]);
const cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function world(
  settingsFor: (ids: { list: string; owner: number; interests: string }) => ConnectionSettings,
) {
  const database: TestDatabase = await freshDatabase();
  const w = await startSyncWorld({
    name: 'rules',
    pipedrive: { rateLimits: { enabled: false } },
    constantContact: { rateLimits: { enabled: false } },
  });
  const { pd, cc } = w;
  cleanup.push(database.drop, w.close);
  const companyId = firstCompanyId(w);
  const company = pd.store.company(companyId)!;
  const settings = settingsFor({
    list: [...cc.store.account(DEMO_ACCOUNT_ID).lists.values()][0]!.list_id,
    owner: [...company.users.keys()].at(-1) as number,
    interests: demoFieldKeys(company).interests,
  });
  const { connectionId } = await connectCompany({
    db: database.db,
    keyring,
    world: w,
    companyId,
    ccAccountId: DEMO_ACCOUNT_ID,
    settings,
  });
  const run = await database.db
    .insertInto('sync_runs')
    .values({ connection_id: connectionId, kind: 'initial' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const sync = () =>
    runInitialSync(engineDeps(database.db, w, keyring), {
      connectionId,
      runId: run.id,
      dryRun: false,
    });
  return { database, pd, cc, company, companyId, connectionId, sync };
}

const row = (
  pipedrive: MappingRow['pipedrive'],
  cc: MappingRow['cc'],
  direction: MappingRow['direction'],
): MappingRow => ({
  pipedrive,
  cc,
  direction,
});

describe('initial sync, Pipedrive → Constant Contact', () => {
  it('creates contacts on the target list with joined option labels and the organization name, and creates no person', async () => {
    const w = await world(({ list, interests }) => ({
      direction: 'to_cc',
      pipedriveSource: { kind: 'all' },
      ccSource: { kind: 'all' },
      targetListIds: [list],
      conflictWinner: 'pipedrive',
      engagement: {
        opens: true,
        clicks: true,
        optouts: true,
        bounces: true,
        recordAs: 'activities',
        historyDays: 90,
      },
      mapping: [
        row(
          { entity: 'person', key: 'first_name' },
          { kind: 'standard', field: 'first_name' },
          'to_cc',
        ),
        row(
          { entity: 'organization', key: 'name' },
          { kind: 'standard', field: 'company_name' },
          'to_cc',
        ),
        row(
          { entity: 'person', key: interests },
          { kind: 'standard', field: 'job_title' },
          'to_cc',
        ),
      ],
    }));
    const personsBefore = w.company.persons.size;
    const account = w.cc.store.account(DEMO_ACCOUNT_ID);
    const contactIdsBefore = new Set(account.contacts.keys());
    const list = [...account.lists.values()][0]!.list_id;
    await w.sync();
    expect(w.company.persons.size).toBe(personsBefore);

    const interestsField = w.company.personField(demoFieldKeys(w.company).interests)!;
    const labelOf = new Map(interestsField.options!.map((o) => [o.id, o.label]));
    const byEmail = new Map(
      [...account.contacts.values()].map((c) => [c.email?.address.toLowerCase(), c]),
    );
    let checked = 0;
    const seen = new Set<string>();
    // The oldest person owns a shared email (DESIGN §3): only owners are synced.
    const owners = [...w.company.persons.values()].sort(
      (a, b) => a.add_time - b.add_time || a.id - b.id,
    );
    for (const person of owners) {
      const email = personEmail(person.emails);
      if (!email.ok || seen.has(email.email)) continue;
      seen.add(email.email);
      const contact = byEmail.get(email.email);
      expect(contact, email.email).toBeDefined();
      const interests = person.custom_fields[demoFieldKeys(w.company).interests] as
        | number[]
        | undefined;
      const org = person.org_id ? w.company.orgs.get(person.org_id) : undefined;
      if (
        interests?.length &&
        contact &&
        !contact.deletedAt &&
        contact.create_source === 'Account'
      ) {
        expect(contact.job_title).toBe(interests.map((id) => labelOf.get(id)).join(', '));
        checked += 1;
      }
      if (org && contact?.create_source === 'Account') expect(contact.company_name).toBe(org.name);
    }
    expect(checked).toBeGreaterThan(0);
    // Contacts the app created are on the target list and implicitly permitted.
    const created = [...account.contacts.values()].filter(
      (c) => !contactIdsBefore.has(c.contact_id),
    );
    expect(created.length).toBeGreaterThan(0);
    for (const contact of created) {
      expect(contact.list_memberships).toContain(list);
      expect(contact.email?.permission).toBe('implicit');
    }
  });
});

describe('initial sync, Constant Contact → Pipedrive', () => {
  it('creates the missing persons with the chosen owner and writes nothing to Constant Contact', async () => {
    const w = await world(({ owner }) => ({
      direction: 'to_pipedrive',
      pipedriveSource: { kind: 'all' },
      ccSource: { kind: 'all' },
      targetListIds: [],
      newPersonOwnerId: owner,
      conflictWinner: 'constant_contact',
      engagement: {
        opens: true,
        clicks: true,
        optouts: true,
        bounces: true,
        recordAs: 'activities',
        historyDays: 90,
      },
      mapping: [
        row(
          { entity: 'person', key: 'first_name' },
          { kind: 'standard', field: 'first_name' },
          'both',
        ),
        row(
          { entity: 'person', key: 'last_name' },
          { kind: 'standard', field: 'last_name' },
          'both',
        ),
      ],
    }));
    const owner = [...w.company.users.keys()].at(-1) as number;
    const personIdsBefore = new Set(w.company.persons.keys());
    const ccWritesBefore = w.cc.log.all().filter((r) => r.method !== 'GET').length;
    await w.sync();
    expect(w.cc.log.all().filter((r) => r.method !== 'GET').length).toBe(ccWritesBefore);

    const created = [...w.company.persons.values()].filter((p) => !personIdsBefore.has(p.id));
    expect(created.length).toBeGreaterThan(0);
    for (const person of created) expect(person.owner_id).toBe(owner);
    const emails = new Set(
      [...w.company.persons.values()].flatMap((p) => {
        const e = personEmail(p.emails);
        return e.ok ? [e.email] : [];
      }),
    );
    for (const contact of w.cc.store.account(DEMO_ACCOUNT_ID).contacts.values()) {
      if (!contact.deletedAt)
        expect(emails.has(contact.email?.address.toLowerCase() ?? ''), contact.email?.address).toBe(
          true,
        );
    }
  });
});
