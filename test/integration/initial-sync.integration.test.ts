/**
 * The initial sync end to end against both fakes' demo accounts (duplicate emails, persons
 * without email or with several, opted-out and deleted contacts, organizations), checked rule
 * by rule on what both fakes hold afterwards.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApis } from '../../server/apis.ts';
import { loadConfig } from '../../server/config.ts';
import { Keyring } from '../../server/crypto.ts';
import { createLogger } from '../../server/log.ts';
import { personEmail } from '../../server/sync/core/normalise.ts';
import { runInitialSync } from '../../server/sync/engine/initial.ts';
import type { ConnectionSettings } from '../../server/sync/settings.ts';
import { DEMO_ACCOUNT_ID } from '../fakes/constant-contact/demo.ts';
import {
  type ConstantContactFake,
  createConstantContactFake,
} from '../fakes/constant-contact/server.ts';
import { createPipedriveFake, type PipedriveFake } from '../fakes/pipedrive/server.ts';
import { connectCompany } from '../helpers/connected.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';

const PD = { id: 'pd-sync', secret: 'pd-sync-secret-0123456789' };
const CC = { id: 'cc-sync', secret: 'cc-sync-secret-0123456789' };
const keyring = new Keyring([{ id: 't', key: randomBytes(32) }]);

let database: TestDatabase;
let pd: PipedriveFake;
let cc: ConstantContactFake;
let companyId: number;

beforeAll(async () => {
  database = await freshDatabase();
  pd = createPipedriveFake({
    seed: 'demo',
    apps: [{ clientId: PD.id, clientSecret: PD.secret, redirectUri: 'http://127.0.0.1/cb' }],
  });
  await pd.listen(0);
  cc = createConstantContactFake({
    seed: 'demo',
    apps: [{ clientId: CC.id, clientSecret: CC.secret, redirectUri: 'http://127.0.0.1/cb' }],
    rateLimits: { enabled: false },
  });
  await cc.listen(0);
  companyId = [...pd.store.companies.keys()][0] as number;
});

afterAll(async () => {
  await pd.close();
  await cc.close();
  await database.drop();
});

function engineDeps() {
  const config = loadConfig({
    PIPEDRIVE_CLIENT_ID: PD.id,
    PIPEDRIVE_CLIENT_SECRET: PD.secret,
    PIPEDRIVE_OAUTH_URL: pd.baseUrl,
    CC_CLIENT_ID: CC.id,
    CC_CLIENT_SECRET: CC.secret,
    CC_OAUTH_URL: cc.baseUrl,
    CC_API_URL: cc.baseUrl,
    CC_REQUESTS_PER_SECOND: '1000',
    CC_REQUESTS_PER_DAY: '1000000',
    PUBLIC_URL: 'http://127.0.0.1:1',
    ENCRYPTION_KEYS: `t:${randomBytes(32).toString('base64')}`,
  });
  return {
    db: database.db,
    apis: createApis(database.db, config, keyring),
    logger: createLogger({ level: 'silent' }),
    sleep: async () => {},
  };
}

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
      pd,
      cc,
      pdClientId: PD.id,
      ccClientId: CC.id,
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
    const result = await runInitialSync(engineDeps(), { connectionId, runId, dryRun: true });
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
    const result = await runInitialSync(engineDeps(), { connectionId, runId, dryRun: false });
    expect(result.counts).toEqual(dryRunCounts);

    // Every CC email is unique (CC enforces it) and every person's primary email is in CC once.
    const ccByEmail = new Map(ccContacts().map((c) => [c.email?.address.toLowerCase() ?? '', c]));
    const owners = new Map<string, number>();
    for (const person of [...pdPersons()].sort(
      (a, b) => a.add_time - b.add_time || a.id - b.id,
    )) {
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
    const result = await runInitialSync(engineDeps(), { connectionId, runId, dryRun: false });
    expect(pdPersons()).toHaveLength(persons);
    expect(ccContacts()).toHaveLength(contacts);
    expect(result.counts.create_contact ?? 0).toBe(0);
    expect(result.counts.create_person ?? 0).toBe(0);
  });
});
