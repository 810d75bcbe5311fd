import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  EngagementSummaryResponse,
  PersonEngagementResponse,
} from '../../server/http/routes/engagement.ts';
import { signPanelJwt } from '../../server/pipedrive/jwt.ts';
import { startPanelApp, type TestApp } from '../helpers/app.ts';

const SECRET = 'engagement-api-jwt-secret';
const ALPHA = 11;
const BETA = 21;
const PERSON = 601;
let t: TestApp;
let connectionId: number;

const get = (companyId: number, url: string) =>
  t.app.inject({
    url,
    headers: { authorization: `Bearer ${signPanelJwt({ companyId, userId: 1 }, SECRET)}` },
  });

beforeAll(async () => {
  t = await startPanelApp(SECRET, [{ id: ALPHA }, { id: BETA }]);
  const db = t.database.db;
  const connection = await db
    .insertInto('connections')
    .values({
      company_id: ALPHA,
      cc_account_id: 'acc-alpha',
      cc_access_token: t.keyring.seal('x'),
      status: 'active',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  connectionId = connection.id;
  await db
    .insertInto('links')
    .values({
      connection_id: connectionId,
      person_id: PERSON,
      contact_id: 'c-601',
      email: 'p@x.org',
    })
    .execute();
  await db
    .insertInto('engagement_state')
    .values({ connection_id: connectionId, history_start: new Date(0), notes_reason: 'no_admin' })
    .execute();
  const yesterday = new Date(Date.now() - 36 * 3_600_000);
  const event = (n: number, kind: string, state: string, extra: object = {}) => ({
    connection_id: connectionId,
    event_key: `k${n}`,
    kind,
    campaign_activity_id: 'ca-1',
    contact_id: 'c-601',
    person_id: PERSON,
    occurred_at: new Date(Date.UTC(2026, 10, 20, 9, n)),
    detail: JSON.stringify({
      campaignName: 'Spring',
      linkUrl: kind === 'click' ? 'https://x.org/p' : undefined,
    }),
    state,
    ...extra,
  });
  await db
    .insertInto('engagement_seen')
    .values([
      event(1, 'open', 'recorded', {
        recorded_at: new Date(),
        recorded_as: 'note',
        pipedrive_id: 1,
      }),
      event(2, 'click', 'recorded', {
        recorded_at: new Date(),
        recorded_as: 'note',
        pipedrive_id: 2,
      }),
      event(3, 'open', 'recorded', {
        recorded_at: yesterday,
        recorded_as: 'note',
        pipedrive_id: 3,
      }),
      event(4, 'bounce', 'pending'),
      event(5, 'open', 'skipped', { skip_reason: 'rejected: Person is merged' }),
    ])
    .execute();
});

afterAll(async () => {
  await t.close();
});

describe('GET /api/engagement/summary', () => {
  it('counts the entries written today by kind, what waits, and says why they are notes', async () => {
    const response = await get(ALPHA, '/api/engagement/summary');
    expect(response.statusCode).toBe(200);
    const body = response.json<EngagementSummaryResponse>();
    expect(body).toMatchObject({
      connected: true,
      recordedToday: 2,
      todayByKind: { open: 1, click: 1, optout: 0, bounce: 0 },
      pending: 1,
      recordAs: 'notes',
    });
    expect(body.notices.map((n) => n.code)).toEqual([
      'ENGAGEMENT_AS_NOTES',
      'ENGAGEMENT_ENTRY_REJECTED',
    ]);
    expect(body.notices[0]?.fix).toMatch(/admin/);
  });

  it('shows nothing to a company without a connection', async () => {
    const body = (await get(BETA, '/api/engagement/summary')).json<EngagementSummaryResponse>();
    expect(body.connected).toBe(false);
    expect(body.recordedToday).toBe(0);
  });
});

describe('GET /api/persons/:personId/engagement', () => {
  it('lists the person’s engagement newest first and queues a read of its contact', async () => {
    const response = await get(ALPHA, `/api/persons/${PERSON}/engagement`);
    expect(response.statusCode).toBe(200);
    const body = response.json<PersonEngagementResponse>();
    expect(body.items.map((i) => [i.kind, i.status])).toEqual([
      ['bounce', 'pending'],
      ['open', 'recorded'],
      ['click', 'recorded'],
      ['open', 'recorded'],
    ]);
    expect(body.items[2]).toMatchObject({ campaignName: 'Spring', linkUrl: 'https://x.org/p' });
    expect(body.refreshing).toBe(true);
    const jobs = await t.boss.findJobs('engagement.contact');
    expect(jobs.map((j) => j.data)).toEqual([{ connectionId, contactId: 'c-601' }]);
    // A second look while the read waits does not queue another.
    const again = (
      await get(ALPHA, `/api/persons/${PERSON}/engagement`)
    ).json<PersonEngagementResponse>();
    expect(again.refreshing).toBe(false);
  });

  it('finds nothing for the same person id in another company', async () => {
    const body = (
      await get(BETA, `/api/persons/${PERSON}/engagement`)
    ).json<PersonEngagementResponse>();
    expect(body.items).toEqual([]);
    expect(body.refreshing).toBe(false);
  });

  it('refuses a person id that is not a number', async () => {
    const response = await get(ALPHA, '/api/persons/abc/engagement');
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('REQUEST_INVALID');
  });
});
