/**
 * The initial sync end to end against both fakes' demo accounts (duplicate emails, persons
 * without email or with several, opted-out and deleted contacts, organizations), checked rule
 * by rule on what both fakes hold afterwards.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../../server/crypto.ts';
import { personEmail } from '../../server/sync/core/normalise.ts';
import { type BatchItem, recordBatch, recordError } from '../../server/sync/engine/execute.ts';
import { initialSyncJob, runInitialSync } from '../../server/sync/engine/initial.ts';
import { type ConnectionSettings, connectionSettings } from '../../server/sync/settings.ts';
import { DEMO_ACCOUNT_ID } from '../fakes/constant-contact/demo.ts';
import type { ConstantContactFake } from '../fakes/constant-contact/server.ts';
import type { PipedriveFake } from '../fakes/pipedrive/server.ts';
import { connectCompany } from '../helpers/connected.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import {
  engineDeps,
  firstCompanyId,
  type SyncWorld,
  startSyncWorld,
} from '../helpers/sync-world.ts';

const keyring = new Keyring([{ id: 't', key: randomBytes(32) }]);

let database: TestDatabase;
let world: SyncWorld;
let pd: PipedriveFake;
let cc: ConstantContactFake;
let companyId: number;

beforeAll(async () => {
  database = await freshDatabase();
  world = await startSyncWorld({
    name: 'sync',
    constantContact: { rateLimits: { enabled: false } },
  });
  ({ pd, cc } = world);
  companyId = firstCompanyId(world);
});

afterAll(async () => {
  await world.close();
  await database.drop();
});

const sync = (connectionId: number, runId: number, dryRun: boolean) =>
  runInitialSync(engineDeps(database.db, world, keyring), { connectionId, runId, dryRun });

async function newRun(connectionId: number, kind: 'initial' | 'dry_run') {
  const row = await database.db
    .insertInto('sync_runs')
    .values({ connection_id: connectionId, kind })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

const ccAccount = () => cc.store.account(DEMO_ACCOUNT_ID);
const ccContacts = () => [...ccAccount().contacts.values()];
const pdPersons = () => [...pd.store.company(companyId)!.persons.values()];

describe('initial sync, two-way, over the demo accounts', () => {
  let connectionId: number;
  let dryRunCounts: Record<string, number>;
  let unsubscribedBefore: string[] = [];

  it('dry-run: plans without writing to either side', async () => {
    const targetList = [...ccAccount().lists.values()].find(
      (l) => l.name === 'Newsletter',
    )!.list_id;
    const owner = [...pd.store.company(companyId)!.users.keys()][0] as number;
    const settings: ConnectionSettings = {
      direction: 'two_way',
      pipedriveSource: { kind: 'all' },
      ccSource: { kind: 'all' },
      targetListIds: [targetList],
      newPersonOwnerId: owner,
      conflictWinner: 'pipedrive',
      mapping: [
        {
          pipedrive: { entity: 'person', key: 'first_name' },
          cc: { kind: 'standard', field: 'first_name' },
          direction: 'both',
        },
        {
          pipedrive: { entity: 'person', key: 'last_name' },
          cc: { kind: 'standard', field: 'last_name' },
          direction: 'both',
        },
        {
          pipedrive: { entity: 'organization', key: 'name' },
          cc: { kind: 'standard', field: 'company_name' },
          direction: 'to_cc',
        },
      ],
      engagement: {
        opens: true,
        clicks: true,
        optouts: true,
        bounces: true,
        recordAs: 'activities',
        historyDays: 90,
      },
    } as ConnectionSettings;
    ({ connectionId } = await connectCompany({
      db: database.db,
      keyring,
      world,
      companyId,
      ccAccountId: DEMO_ACCOUNT_ID,
      settings,
    }));
    unsubscribedBefore = ccContacts()
      .filter((c) => c.email?.permission === 'unsubscribed')
      .map((c) => c.contact_id);
    const personsBefore = pdPersons().length;
    const contactsBefore = ccContacts().length;
    const runId = await newRun(connectionId, 'dry_run');
    const result = await sync(connectionId, runId, true);
    dryRunCounts = result.counts as Record<string, number>;
    expect(pdPersons()).toHaveLength(personsBefore);
    expect(ccContacts()).toHaveLength(contactsBefore);
    expect(dryRunCounts.link).toBeGreaterThan(0);
    expect(dryRunCounts.create_contact).toBeGreaterThan(0);
    expect(dryRunCounts.create_person).toBeGreaterThan(0);
    expect(result.duplicates).toBeGreaterThan(0);
    expect(Object.values(result.excluded).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    const links = await database.db.selectFrom('links').select('id').execute();
    expect(links).toHaveLength(0);
  });

  it('real run: does what the dry-run counted, and both sides end up linked one to one', async () => {
    const runId = await newRun(connectionId, 'initial');
    const result = await sync(connectionId, runId, false);
    expect(result.counts).toEqual(dryRunCounts);

    // Every CC email is unique (CC enforces it) and every person's primary email is in CC once.
    const ccByEmail = new Map(ccContacts().map((c) => [c.email?.address.toLowerCase() ?? '', c]));
    const owners = new Map<string, number>();
    for (const person of [...pdPersons()].sort((a, b) => a.add_time - b.add_time || a.id - b.id)) {
      const email = personEmail(person.emails);
      if (email.ok && !owners.has(email.email)) owners.set(email.email, person.id);
    }
    const links = await database.db
      .selectFrom('links')
      .selectAll()
      .where('connection_id', '=', connectionId)
      .execute();
    for (const [email, personId] of owners) {
      const contact = ccByEmail.get(email);
      expect(contact, email).toBeDefined();
      const link = links.filter((l) => l.person_id === personId);
      expect(link, email).toHaveLength(1);
      expect(link[0]?.contact_id).toBe(contact?.contact_id);
    }
    // Every live CC contact has a person with its email now (two-way created the missing ones).
    const personEmails = new Set(
      pdPersons().flatMap((p) => {
        const email = personEmail(p.emails);
        return email.ok ? [email.email] : [];
      }),
    );
    for (const contact of ccContacts().filter((c) => !c.deletedAt)) {
      expect(
        personEmails.has(contact.email?.address.toLowerCase() ?? ''),
        contact.email?.address,
      ).toBe(true);
    }
    expect(new Set(links.map((l) => l.contact_id)).size).toBe(links.length);
    expect(new Set(links.map((l) => l.person_id)).size).toBe(links.length);

    const run = await database.db
      .selectFrom('sync_runs')
      .selectAll()
      .where('id', '=', runId)
      .executeTakeFirstOrThrow();
    expect(run.status).toBe('completed');
    expect(run.done).toBe(run.total);
    const connection = await database.db
      .selectFrom('connections')
      .select('status')
      .where('id', '=', connectionId)
      .executeTakeFirstOrThrow();
    expect(connection.status).toBe('active');
  });

  it('never resubscribes an opted-out contact', async () => {
    expect(unsubscribedBefore.length).toBeGreaterThan(0);
    for (const id of unsubscribedBefore) {
      expect(ccAccount().contacts.get(id)?.email?.permission, id).toBe('unsubscribed');
    }
    // The fake records every request that tried to change an opted-out contact's permission.
    expect(cc.control.permissionAttempts()).toEqual([]);
  });

  it('running again changes nothing and creates nothing', async () => {
    const persons = pdPersons().length;
    const contacts = ccContacts().length;
    const runId = await newRun(connectionId, 'initial');
    const result = await sync(connectionId, runId, false);
    expect(pdPersons()).toHaveLength(persons);
    expect(ccContacts()).toHaveLength(contacts);
    expect(result.counts.create_contact ?? 0).toBe(0);
    expect(result.counts.create_person ?? 0).toBe(0);
  });
});

describe('a run that cannot go on', () => {
  it('is marked failed with the catalogue code instead of staying running', async () => {
    const second = [...world.pd.store.companies.keys()][1] as number;
    const { connectionId: id } = await connectCompany({
      db: database.db,
      keyring,
      world,
      companyId: second,
      ccAccountId: DEMO_ACCOUNT_ID,
      settings: connectionSettings.parse(
        (await database.db.selectFrom('connections').select('settings').executeTakeFirstOrThrow())
          .settings,
      ),
    });
    // Constant Contact revoked the grant: the connection needs the admin.
    await database.db
      .updateTable('connections')
      .set({ status: 'needs_reauth' })
      .where('id', '=', id)
      .execute();
    const runId = await newRun(id, 'initial');
    await expect(
      initialSyncJob(
        engineDeps(database.db, world, keyring),
        { connectionId: id, runId, dryRun: false },
        { retryCount: 0, retryLimit: 10 },
      ),
    ).rejects.toMatchObject({ code: 'CC_REAUTH_NEEDED' });
    const run = await database.db
      .selectFrom('sync_runs')
      .selectAll()
      .where('id', '=', runId)
      .executeTakeFirstOrThrow();
    expect(run).toMatchObject({ status: 'failed', error: 'CC_REAUTH_NEEDED' });
  });
});

describe('recording a batch', () => {
  it('keeps an error raised in this batch open, and resolves the older errors of clean pairs', async () => {
    const connection = await database.db
      .selectFrom('connections')
      .select('id')
      .orderBy('id')
      .executeTakeFirstOrThrow();
    const base = { email: 'x@example.com', values: {} };
    const item = (
      personId: number,
      contactId: string,
      email: string,
      withError: boolean,
    ): BatchItem => ({
      personId,
      contactId,
      email,
      personInRule: true,
      plan: {
        base: { ...base, email },
        conflicts: [],
        warnings: [],
        actions: [
          {
            kind: 'link',
            personId,
            contactId,
            email,
            unsubscribed: false,
            at: new Date().toISOString(),
          },
          ...(withError
            ? [
                {
                  kind: 'record_error' as const,
                  code: 'OPTION_LABEL_MISSING' as const,
                  personId,
                  contactId,
                  fieldId: 'f',
                },
              ]
            : []),
        ],
      },
    });
    await database.db
      .transaction()
      .execute((trx) =>
        recordError(
          trx,
          connection.id,
          { personId: 900_002, contactId: 'c-900002' },
          'SYNC_WRITE_REJECTED',
          {},
        ),
      );
    const written = { contactIds: new Map(), personIds: new Map(), failed: new Map() };
    await database.db
      .transaction()
      .execute((trx) =>
        recordBatch(
          trx,
          connection.id,
          [
            item(900_001, 'c-900001', 'one@example.com', true),
            item(900_002, 'c-900002', 'two@example.com', false),
          ],
          written,
          new Date(),
        ),
      );
    const errors = await database.db
      .selectFrom('contact_errors')
      .select(['person_id', 'code', 'resolved_at'])
      .where('person_id', 'in', [900_001, 900_002])
      .orderBy('person_id')
      .execute();
    expect(errors.map((e) => [e.person_id, e.code, e.resolved_at === null])).toEqual([
      [900_001, 'OPTION_LABEL_MISSING', true],
      [900_002, 'SYNC_WRITE_REJECTED', false],
    ]);
  });
});
