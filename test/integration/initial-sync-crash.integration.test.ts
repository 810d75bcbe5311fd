/**
 * Issue 6: "A test kills the worker in the middle of an initial sync of 5,000 contacts,
 * restarts it, and finds each email exactly once on each side and every link correct."
 * The worker is a real child process, killed with SIGKILL while it is writing.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../../server/crypto.ts';
import { personEmail } from '../../server/sync/core/normalise.ts';
import type { ConstantContactFake } from '../fakes/constant-contact/server.ts';
import type { PipedriveFake } from '../fakes/pipedrive/server.ts';
import { connectCompany } from '../helpers/connected.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';
import { spawnScript } from '../helpers/process.ts';
import {
  type SyncWorld,
  sameNameRow,
  startSeededWorld,
  twoWaySettings,
} from '../helpers/sync-world.ts';

const ACCOUNT = 'a07ecrash0001';
const key = randomBytes(32);
const keyring = new Keyring([{ id: 'crash', key }]);

let database: TestDatabase;
let world: SyncWorld;
let pd: PipedriveFake;
let cc: ConstantContactFake;
let companyId: number;

beforeAll(async () => {
  database = await freshDatabase();
  ({ world, companyId } = await startSeededWorld({
    name: 'crash',
    companyName: 'Crash Co',
    persons: 5000,
    organizations: 20,
    personOffset: 20_000,
    accountId: ACCOUNT,
    organizationName: 'Crash CC',
    // 1,000 of the persons are in CC already, plus 500 people only CC knows.
    ccPeople: [24_000, 25_500],
  }));
  ({ pd, cc } = world);
});

afterAll(async () => {
  await world.close();
  await database.drop();
});

function worker(connectionId: number, runId: number) {
  return spawnScript('test/helpers/run-initial-sync.ts', {
    ...world.env({ ENCRYPTION_KEYS: `crash:${key.toString('base64')}` }),
    DATABASE_URL: database.url,
    CONNECTION_ID: String(connectionId),
    RUN_ID: String(runId),
  });
}

describe('initial sync survives a killed worker', () => {
  it('finishes after SIGKILL mid-write with every email once on each side', async () => {
    const settings = twoWaySettings(world, companyId, ACCOUNT, [
      sameNameRow('first_name'),
      sameNameRow('last_name'),
    ]);
    const { connectionId } = await connectCompany({
      db: database.db,
      keyring,
      world,
      companyId,
      ccAccountId: ACCOUNT,
      settings,
    });
    const personIdsBefore = new Set(pd.store.company(companyId)!.persons.keys());
    const run = await database.db
      .insertInto('sync_runs')
      .values({ connection_id: connectionId, kind: 'initial' })
      .returning('id')
      .executeTakeFirstOrThrow();

    const first = worker(connectionId, run.id);
    // Kill once at least one write batch is committed and more remain.
    for (;;) {
      const row = await database.db
        .selectFrom('sync_runs')
        .select(['checkpoint', 'status'])
        .where('id', '=', run.id)
        .executeTakeFirstOrThrow();
      const checkpoint = row.checkpoint as { lastPersonId?: number };
      if (checkpoint.lastPersonId) break;
      if (row.status === 'completed') throw new Error('the run finished before it could be killed');
      if (first.child.exitCode !== null) throw new Error(`worker died: ${first.stderr()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    first.child.kill('SIGKILL');
    await first.exited;
    const mid = await database.db
      .selectFrom('sync_runs')
      .select(['status', 'done', 'total'])
      .where('id', '=', run.id)
      .executeTakeFirstOrThrow();
    expect(mid.status).toBe('running');
    expect(mid.done).toBeLessThan(mid.total ?? 0);

    const second = worker(connectionId, run.id);
    expect(await second.exited, second.stderr()).toBe(0);

    const finished = await database.db
      .selectFrom('sync_runs')
      .selectAll()
      .where('id', '=', run.id)
      .executeTakeFirstOrThrow();
    expect(finished.status).toBe('completed');

    const persons = [...pd.store.company(companyId)!.persons.values()].filter((p) => !p.is_deleted);
    const personsByEmail = new Map<string, number[]>();
    for (const p of persons) {
      const email = personEmail(p.emails);
      if (email.ok)
        personsByEmail.set(email.email, [...(personsByEmail.get(email.email) ?? []), p.id]);
    }
    const contacts = [...cc.store.account(ACCOUNT).contacts.values()];
    const contactEmails = contacts.map((c) => c.email?.address.toLowerCase() ?? '');
    expect(new Set(contactEmails).size).toBe(contactEmails.length);
    // Every live CC contact has a person now; the people only CC knew were created once each.
    for (const contact of contacts.filter((c) => !c.deletedAt)) {
      const email = contact.email?.address.toLowerCase() ?? '';
      expect(personsByEmail.get(email)?.length ?? 0, email).toBeGreaterThanOrEqual(1);
    }
    const created = persons.filter((p) => !personIdsBefore.has(p.id));
    expect(created.length).toBeGreaterThan(0);
    const createdEmails = created.map((p) => (personEmail(p.emails) as { email: string }).email);
    expect(new Set(createdEmails).size).toBe(createdEmails.length);
    for (const email of createdEmails) expect(personsByEmail.get(email), email).toHaveLength(1);

    const links = await database.db
      .selectFrom('links')
      .selectAll()
      .where('connection_id', '=', connectionId)
      .execute();
    expect(new Set(links.map((l) => l.person_id)).size).toBe(links.length);
    expect(new Set(links.map((l) => l.contact_id)).size).toBe(links.length);
    const contactById = new Map(contacts.map((c) => [c.contact_id, c]));
    for (const link of links) {
      const contact = contactById.get(link.contact_id as string);
      expect(contact?.email?.address.toLowerCase(), `link ${link.id}`).toBe(link.email);
      expect(personsByEmail.get(link.email), link.email).toContain(link.person_id);
    }
    // Every email a person owns is linked, and so is every live contact.
    const liveEmails = contacts
      .filter((c) => !c.deletedAt)
      .map((c) => c.email?.address.toLowerCase() ?? '');
    expect(new Set(links.map((l) => l.email))).toEqual(
      new Set([...personsByEmail.keys(), ...liveEmails]),
    );
  }, 180_000);
});
