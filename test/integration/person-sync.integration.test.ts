/**
 * Continuous sync, Pipedrive → Constant Contact: after the initial sync, a person edited,
 * created or deleted in Pipedrive reaches Constant Contact through the person job, writing
 * only what changed; an echo of the app's own write changes nothing.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../../server/crypto.ts';
import { freePort } from '../../server/db/embedded.ts';
import { registerWorkers } from '../../server/jobs/queues.ts';
import { createLogger } from '../../server/log.ts';
import { ensureWebhooks } from '../../server/pipedrive/install.ts';
import { pipedriveTokenSource } from '../../server/pipedrive/tokens.ts';
import { syncPerson } from '../../server/sync/engine/person.ts';
import { connectionSettings } from '../../server/sync/settings.ts';
import { DEMO_ACCOUNT_ID } from '../fakes/constant-contact/demo.ts';
import { startTestApp } from '../helpers/app.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import {
  connectAndSync,
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

const account = () => world.cc.store.account(DEMO_ACCOUNT_ID);
const contactByEmail = (email: string) =>
  [...account().contacts.values()].find((c) => c.email?.address.toLowerCase() === email);
const ccWrites = () =>
  world.cc.log.all().filter((r) => r.method !== 'GET' && r.path.startsWith('/v3/')).length;
const sync = (personId: number) =>
  syncPerson(engineDeps(database.db, world, keyring), { companyId, personId });

beforeAll(async () => {
  database = await freshDatabase();
  ({ world, companyId, connectionId } = await startDemoSync(database.db, keyring, {
    name: 'person',
    mapping: [sameNameRow('first_name'), sameNameRow('job_title')],
  }));
});

afterAll(async () => {
  await world.close();
  await database.drop();
});

async function linkOf(personId: number) {
  return database.db
    .selectFrom('links')
    .selectAll()
    .where('person_id', '=', personId)
    .executeTakeFirst();
}

describe('person job', () => {
  it('carries an edit to the linked contact, and then an echo writes nothing', async () => {
    const link = (await database.db
      .selectFrom('links')
      .selectAll()
      .where('state', '=', 'active')
      .orderBy('person_id')
      .executeTakeFirstOrThrow())!;
    world.pd.control.ui.updatePerson(companyId, link.person_id as number, {
      job_title: 'Chief Sync Officer',
    });
    expect(await sync(link.person_id as number)).toContain('update_contact');
    const contact = account().contacts.get(link.contact_id as string)!;
    expect(contact.job_title).toBe('Chief Sync Officer');
    // The link's base now holds the agreed value, so the echo below plans nothing.
    const base = (await linkOf(link.person_id as number))?.base as Record<string, string | null>;
    expect(Object.values(base)).toContain('Chief Sync Officer');

    const writes = ccWrites();
    expect(await sync(link.person_id as number)).toEqual(['nothing']);
    expect(ccWrites()).toBe(writes);
  });

  it('creates the contact of a new person, on the target list, implicitly permitted', async () => {
    const person = world.pd.control.ui.createPerson(companyId, {
      name: 'Nova Newperson',
      first_name: 'Nova',
      last_name: 'Newperson',
      emails: [{ value: 'nova.newperson@example.com', primary: true, label: 'work' }],
    });
    expect(await sync(person.id)).toContain('create_contact');
    const contact = contactByEmail('nova.newperson@example.com');
    expect(contact?.first_name).toBe('Nova');
    expect(contact?.email?.permission).toBe('implicit');
    expect(contact?.list_memberships).toContain([...account().lists.values()][0]!.list_id);
    expect((await linkOf(person.id))?.contact_id).toBe(contact?.contact_id);
  });

  it('keeps the contact, subscribed, when the person is deleted, and marks the link', async () => {
    const link = (await database.db
      .selectFrom('links')
      .selectAll()
      .where('state', '=', 'active')
      .orderBy('person_id', 'desc')
      .executeTakeFirstOrThrow())!;
    const before = account().contacts.get(link.contact_id as string)!;
    const permission = before.email?.permission;
    world.pd.control.ui.deletePerson(companyId, link.person_id as number);
    await sync(link.person_id as number);
    const after = account().contacts.get(link.contact_id as string)!;
    expect(after.deletedAt).toBeUndefined();
    expect(after.email?.permission).toBe(permission);
    expect((await linkOf(link.person_id as number))?.state).toBe('person_deleted');
  });

  it('does nothing while the connection is paused', async () => {
    await database.db
      .updateTable('connections')
      .set({ status: 'paused' })
      .where('id', '=', connectionId)
      .execute();
    try {
      const link = (await database.db
        .selectFrom('links')
        .selectAll()
        .where('state', '=', 'active')
        .orderBy('person_id')
        .executeTakeFirstOrThrow())!;
      world.pd.control.ui.updatePerson(companyId, link.person_id as number, {
        job_title: 'Paused Title',
      });
      const writes = ccWrites();
      expect(await sync(link.person_id as number)).toEqual([]);
      expect(ccWrites()).toBe(writes);
    } finally {
      await database.db
        .updateTable('connections')
        .set({ status: 'active' })
        .where('id', '=', connectionId)
        .execute();
    }
  });
});

describe('Pipedrive edit → webhook → job → Constant Contact', () => {
  it('lands in Constant Contact within seconds of the edit', async () => {
    const port = await freePort();
    const app = await startTestApp({ port, listen: true, env: world.env() });
    try {
      // The app's own database is fresh: connect, activate (initial sync), register the webhook.
      const settings = connectionSettings.parse(
        (await database.db.selectFrom('connections').select('settings').executeTakeFirstOrThrow())
          .settings,
      );
      await connectAndSync(app.database.db, app.keyring, world, {
        companyId,
        ccAccountId: DEMO_ACCOUNT_ID,
        settings,
      });
      const installation = await app.database.db
        .selectFrom('installations')
        .select(['id', 'api_domain'])
        .executeTakeFirstOrThrow();
      const tokens = pipedriveTokenSource({
        db: app.database.db,
        keyring: app.keyring,
        client: { id: world.apps.pd.id, secret: world.apps.pd.secret, oauthUrl: world.pd.baseUrl },
        installationId: installation.id,
      });
      await ensureWebhooks(
        app.appDeps,
        companyId,
        app.appDeps.apis.pipedriveInstall(installation.api_domain, tokens, companyId),
      );
      const logger = createLogger({ level: 'silent' });
      await registerWorkers(
        app.boss,
        {
          'pipedrive.person-changed': async (payload) =>
            void (await syncPerson(
              { db: app.database.db, apis: app.appDeps.apis, logger },
              payload,
            )),
        },
        { concurrency: 2, logger },
      );

      const link = await app.database.db
        .selectFrom('links')
        .selectAll()
        .where('state', '=', 'active')
        .orderBy('person_id')
        .executeTakeFirstOrThrow();
      const edited = Date.now();
      world.pd.control.ui.updatePerson(companyId, link.person_id as number, {
        job_title: 'Edited In Pipedrive UI',
      });
      await expect
        .poll(() => account().contacts.get(link.contact_id as string)?.job_title, {
          timeout: 20_000,
          interval: 100,
        })
        .toBe('Edited In Pipedrive UI');
      // Coalescing waits 2 s on purpose; anything much slower would show here.
      expect(Date.now() - edited).toBeLessThan(15_000);
    } finally {
      await app.close();
    }
  });
});
