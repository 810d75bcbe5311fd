import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../../server/crypto.ts';
import { ensureCompany } from '../../server/db/companies.repo.ts';
import { AppError } from '../../server/errors.ts';
import { prune } from '../../server/jobs/prune.ts';
import {
  batched,
  declareQueues,
  enqueue,
  personJobKey,
  registerWorkers,
} from '../../server/jobs/queues.ts';
import { createLogger } from '../../server/log.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';

let database: TestDatabase;
let boss: PgBoss;
let connectionId: number;

beforeAll(async () => {
  database = await freshDatabase();
  boss = new PgBoss({ connectionString: database.url, schedule: false, supervise: false, max: 3 });
  boss.on('error', () => {});
  await boss.start();
  await declareQueues(boss);
  await ensureCompany(database.db, new Keyring([{ id: 't', key: randomBytes(32) }]), 1);
  const row = await database.db
    .insertInto('connections')
    .values({ company_id: 1 })
    .returning('id')
    .executeTakeFirstOrThrow();
  connectionId = row.id;
});

afterAll(async () => {
  await boss.stop({ graceful: false });
  await database.drop();
});

async function seedHistory(): Promise<void> {
  await database.db.deleteFrom('contact_events').execute();
  await database.db.deleteFrom('contact_errors').execute();
  const event = (days: number, person: number) => ({
    connection_id: connectionId,
    person_id: person,
    direction: 'to_cc',
    kind: 'update',
    created_at: sql<Date>`now() - make_interval(days => ${days})`,
  });
  await database.db
    .insertInto('contact_events')
    .values([event(400, 1), event(10, 2)])
    .execute();
  const error = (resolvedDaysAgo: number | null, person: number) => ({
    connection_id: connectionId,
    subject: `person:${person}`,
    person_id: person,
    code: 'INTERNAL',
    resolved_at:
      resolvedDaysAgo === null
        ? null
        : sql<Date>`now() - make_interval(days => ${resolvedDaysAgo})`,
  });
  await database.db
    .insertInto('contact_errors')
    .values([error(90, 1), error(1, 2), error(null, 3)])
    .execute();
}

describe('maintenance.prune', () => {
  it('deletes old history and long-resolved errors, and keeps the rest', async () => {
    await seedHistory();
    const result = await prune(database.db, {
      eventRetentionDays: 180,
      resolvedErrorRetentionDays: 30,
    });
    expect(result).toEqual({ events: 1, errors: 1 });
    const events = await database.db.selectFrom('contact_events').select('person_id').execute();
    expect(events.map((e) => e.person_id)).toEqual([2]);
    const errors = await database.db
      .selectFrom('contact_errors')
      .select('person_id')
      .orderBy('person_id')
      .execute();
    expect(errors.map((e) => e.person_id)).toEqual([2, 3]);
  });

  it('refuses a payload its worker could not read', async () => {
    await expect(
      enqueue(boss, 'maintenance.prune', { eventRetentionDays: -5 } as never),
    ).rejects.toThrow(/eventRetentionDays/);
  });

  it('runs through the queue: send, work, outcome in the database', async () => {
    await seedHistory();
    await registerWorkers(
      boss,
      { 'maintenance.prune': async (payload) => void (await prune(database.db, payload)) },
      { concurrency: 1, logger: createLogger({ level: 'silent' }) },
    );
    await enqueue(boss, 'maintenance.prune', {});
    const deadline = Date.now() + 15_000;
    let remaining = 2;
    while (Date.now() < deadline) {
      const row = await database.db
        .selectFrom('contact_events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      remaining = Number(row.n);
      if (remaining === 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(remaining).toBe(1);
  });
});

describe('batched handlers', () => {
  it('get the jobs a fetch brought together, each payload checked', async () => {
    const seen: number[][] = [];
    for (const personId of [1, 2, 3, 4])
      await enqueue(
        boss,
        'pipedrive.person-changed',
        { companyId: 77, personId },
        { singletonKey: personJobKey(77, personId) },
      );
    await registerWorkers(
      boss,
      {
        'pipedrive.person-changed': batched(async (payloads) => {
          seen.push(payloads.map((p) => p.personId));
        }),
      },
      { concurrency: 1, logger: createLogger({ level: 'silent' }) },
    );
    const deadline = Date.now() + 15_000;
    while (seen.flat().length < 4 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    await boss.offWork('pipedrive.person-changed');
    expect(seen.flat().sort()).toEqual([1, 2, 3, 4]);
    // The four were waiting when the worker started: one fetch (batch size 10) took them all.
    expect(seen).toHaveLength(1);
  });
});

describe('failed jobs', () => {
  async function stateAfter(
    error: Error,
    connectionId: number,
  ): Promise<{ state: string; runs: number }> {
    let runs = 0;
    await registerWorkers(
      boss,
      {
        'cc.poll': async (payload) => {
          if (payload.connectionId !== connectionId) return;
          runs += 1;
          throw error;
        },
      },
      { concurrency: 1, logger: createLogger({ level: 'silent' }) },
    );
    const id = await enqueue(boss, 'cc.poll', { connectionId });
    const deadline = Date.now() + 15_000;
    for (;;) {
      const [job] = await boss.findJobs('cc.poll', { id: id as string });
      if ((job && job.state !== 'created' && job.state !== 'active') || Date.now() > deadline) {
        await boss.offWork('cc.poll');
        return { state: job?.state ?? 'missing', runs };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('stop without retrying when the grant is gone', async () => {
    expect(await stateAfter(new AppError('CC_REAUTH_NEEDED'), 9001)).toEqual({
      state: 'completed',
      runs: 1,
    });
  });

  it('go back to pg-boss for a retry when the failure may be transient', async () => {
    expect(await stateAfter(new Error('connection reset'), 9002)).toEqual({
      state: 'retry',
      runs: 1,
    });
  });
});
