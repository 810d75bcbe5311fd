import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCompany } from '../../server/db/companies.repo.ts';
import { declareQueues } from '../../server/jobs/queues.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

const COMPANY = 4242;
let t: TestApp;
let auth: string;

beforeAll(async () => {
  t = await startTestApp();
  await declareQueues(t.boss);
  const creds = await ensureCompany(t.database.db, t.keyring, COMPANY);
  auth = `Basic ${Buffer.from(`${creds.user}:${creds.password}`).toString('base64')}`;
});

afterAll(async () => {
  await t.close();
});

function delivery(overrides: Record<string, unknown> = {}, personId = 101) {
  return {
    meta: {
      action: 'change',
      entity: 'person',
      company_id: String(COMPANY),
      entity_id: String(personId),
      id: randomUUID(),
      timestamp: new Date().toISOString(),
      change_source: 'app',
      attempt: 1,
      version: '2.0',
      ...overrides,
    },
    data: { id: personId, name: 'Ada Tamm', emails: [{ value: 'ada@example.com', primary: true }] },
    previous: { name: 'Ada' },
  };
}

function post(body: unknown, headers: Record<string, string> = { authorization: auth }) {
  return t.app.inject({
    method: 'POST',
    url: `/webhooks/pipedrive/${COMPANY}`,
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function storedEvents(): Promise<number> {
  const row = await t.database.db
    .selectFrom('webhook_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function jobsFor(personId: number) {
  return t.boss.findJobs('pipedrive.person-changed', { key: `person:${COMPANY}:${personId}` });
}

describe('webhook receiver', () => {
  it('stores a valid delivery and enqueues a job for the person', async () => {
    const response = await post(delivery({}, 101));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ ok: true, duplicate: false });
    const jobs = await jobsFor(101);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.data).toEqual({ companyId: COMPANY, personId: 101 });
  });

  it('ignores an exact duplicate (a Pipedrive retry repeats meta.id)', async () => {
    const body = delivery({}, 102);
    await post(body);
    const before = await storedEvents();
    const again = await post({ ...body, meta: { ...body.meta, attempt: 2 } });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ ok: true, duplicate: true });
    expect(await storedEvents()).toBe(before);
    expect(await jobsFor(102)).toHaveLength(1);
  });

  it('stores one copy when the same delivery arrives several times at once', async () => {
    const body = delivery({}, 107);
    const before = await storedEvents();
    const responses = await Promise.all(Array.from({ length: 5 }, () => post(body)));
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200]);
    expect(responses.filter((r) => r.json().duplicate === false)).toHaveLength(1);
    expect(await storedEvents()).toBe(before + 1);
    expect(await jobsFor(107)).toHaveLength(1);
  });

  it('coalesces a burst for one person into one queued job', async () => {
    for (let i = 0; i < 5; i++) expect((await post(delivery({}, 103))).statusCode).toBe(200);
    expect(await jobsFor(103)).toHaveLength(1);
  });

  it('enqueues the survivor of a merge too', async () => {
    await post(delivery({ action: 'delete', merged_to_id: '105' }, 104));
    expect(await jobsFor(104)).toHaveLength(1);
    expect(await jobsFor(105)).toHaveLength(1);
  });

  it('answers 401 to wrong, missing or another company’s credentials, storing nothing', async () => {
    const before = await storedEvents();
    const wrong = `Basic ${Buffer.from('pd-4242-x:guess').toString('base64')}`;
    const attempts: Record<string, string>[] = [
      { authorization: wrong },
      {},
      { authorization: 'Bearer abc' },
    ];
    for (const headers of attempts) {
      const response = await post(delivery(), headers);
      expect(response.statusCode).toBe(401);
      expect(response.json().error.code).toBe('WEBHOOK_UNAUTHENTICATED');
    }
    const other = await t.app.inject({
      method: 'POST',
      url: '/webhooks/pipedrive/999',
      headers: { 'content-type': 'application/json', authorization: auth },
      payload: JSON.stringify(delivery({ company_id: '999' })),
    });
    expect(other.statusCode).toBe(401);
    expect(await storedEvents()).toBe(before);
  });

  it('answers 4xx to bad JSON, wrong shapes, a company mismatch and huge bodies', async () => {
    const before = await storedEvents();
    expect((await post('{"meta": {')).statusCode).toBe(400);
    const wrongShape = await post({ meta: { action: 'explode' } });
    expect(wrongShape.statusCode).toBe(400);
    expect(wrongShape.json().error.code).toBe('WEBHOOK_INVALID');
    expect(wrongShape.json().error.detail).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'meta.action' })]),
    );
    expect((await post(delivery({ company_id: '1' }))).statusCode).toBe(400);
    const huge = delivery();
    (huge.data as Record<string, unknown>).notes = 'x'.repeat(200 * 1024);
    const tooLarge = await post(huge);
    expect(tooLarge.statusCode).toBe(413);
    expect(await storedEvents()).toBe(before);
  });

  it('accepts but does not enqueue entities other than persons', async () => {
    const response = await post(delivery({ entity: 'deal' }, 106));
    expect(response.statusCode).toBe(200);
    expect(response.json().ignored).toBe('entity deal');
    expect(await jobsFor(106)).toHaveLength(0);
  });
});
