/**
 * The Pipedrive client (official SDK underneath) against the in-process Pipedrive fake, with
 * the company budget in Postgres: round trips, token costs matching the fake's own count,
 * 429/5xx retried, the daily share enforced before calling, the 401 refresh, the read-out.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readBudgets } from '../../server/api/budget-readout.ts';
import { createCcLimiter } from '../../server/api/cc-limiter.ts';
import { decideRetry, isApiError } from '../../server/api/errors.ts';
import { createPipedriveBudget, type PipedriveBudget } from '../../server/api/pipedrive-budget.ts';
import { withRetry } from '../../server/api/retry.ts';
import type { TokenSource } from '../../server/api/token-source.ts';
import { createDatabase } from '../../server/db/database.ts';
import {
  allPages,
  createPipedriveClient,
  type PipedriveClient,
} from '../../server/pipedrive/client.ts';
import { createPipedriveFake, type PipedriveFake } from '../fakes/pipedrive/server.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';

const APP = {
  clientId: 'pd-client-app',
  clientSecret: 'pd-client-secret-value',
  redirectUri: 'http://127.0.0.1:9/cb',
};
const SHARE = 0.5;

let tdb: TestDatabase;
let fake: PipedriveFake;
let companyId: number;
let secondCompanyId: number;

class FakeTokens implements TokenSource {
  refreshes = 0;
  constructor(
    private current: string,
    private readonly mint: () => string,
  ) {}
  async get(): Promise<string> {
    return this.current;
  }
  async refresh(rejected: string): Promise<string> {
    this.refreshes++;
    if (rejected === this.current) this.current = this.mint();
    return this.current;
  }
}

const mintFor = (id: number) => () => fake.control.mintToken({ companyId: id }).access_token;

function client(
  id: number,
  tokens: TokenSource = new FakeTokens(mintFor(id)(), mintFor(id)),
  budget: PipedriveBudget = createPipedriveBudget(tdb.db, { share: SHARE }),
): PipedriveClient {
  return createPipedriveClient({ apiDomain: fake.baseUrl, companyId: id, tokens, budget });
}

const fast = {
  decide: (e: unknown, a: number, n: number) => decideRetry(e, a, n, { baseDelayMs: 20 }),
};

beforeAll(async () => {
  tdb = await freshDatabase();
  fake = createPipedriveFake({ apps: [APP] });
  await fake.listen(0);
  [companyId = 0, secondCompanyId = 0] = [...fake.store.companies.keys()];
});
afterAll(async () => {
  await fake?.close();
  await tdb?.drop();
});
beforeEach(() => {
  fake.control.clearFaults();
});

describe('Pipedrive client through the official SDK', () => {
  it('pages persons to the end and charges exactly what the fake charges', async () => {
    const pd = client(companyId);
    const before = fake.control.tokensUsed(companyId);
    const ids = new Set<number>();
    let pages = 0;
    for await (const person of allPages((cursor) => {
      pages++;
      return pd.persons.list({ limit: 60, cursor });
    }))
      ids.add(person.id);
    const expected = [...fake.control.company(companyId).persons.values()].filter(
      (p) => !p.is_deleted,
    ).length;
    expect(ids.size).toBe(expected);
    expect(pages).toBe(Math.ceil(expected / 60));
    const readout = await readBudgets(tdb.db, { pipedrive: { companyId, share: SHARE } });
    expect(readout.pipedrive.used).toBe(fake.control.tokensUsed(companyId) - before);
    expect(readout.pipedrive.used).toBe(pages * 10);
    // growth plan: burst limit 160 → multiplier 2 (one seat assumed until told otherwise)
    expect(readout.pipedrive.dailyBudget).toBe(60_000);
  });

  it('creates, reads, patches, finds by email, merges and deletes a person', async () => {
    const pd = client(companyId);
    const a = await pd.persons.create({
      name: 'Grace Hopper',
      emails: [{ value: 'grace@example.com', primary: true, label: 'work' }],
    });
    const b = await pd.persons.create({
      name: 'G. Hopper',
      emails: [{ value: 'g.hopper@example.com', primary: true, label: 'home' }],
    });
    expect((await pd.persons.get({ id: a.id })).emails?.[0]?.value).toBe('grace@example.com');
    const patched = await pd.persons.patch(a.id, { name: 'Grace B. Hopper' });
    expect(patched.name).toBe('Grace B. Hopper');
    const found = await pd.persons.searchByEmail('grace@example.com');
    expect(found.map((p) => p.id)).toEqual([a.id]);
    // b disappears into a (reference 4.9); a keeps its own email and gains b's.
    const survivor = await pd.persons.merge(b.id, a.id);
    expect(survivor.id).toBe(a.id);
    const merged = await pd.persons.get({ id: a.id });
    expect(merged.emails?.map((e) => e.value).sort()).toEqual([
      'g.hopper@example.com',
      'grace@example.com',
    ]);
    await pd.persons.delete(a.id);
    const gone = await pd.persons.get({ id: a.id }).catch((e: unknown) => e);
    expect(gone).toMatchObject({ status: 404, provider: 'pipedrive' });
    expect(decideRetry(gone, 1, Date.now())).toEqual({ action: 'stop', reason: 'not_found' });
  });

  it('reads fields, users, filters, organizations and writes webhooks, notes, activities', async () => {
    const pd = client(companyId);
    const me = await pd.users.me();
    expect(me.company_id).toBe(companyId);
    expect((await pd.users.list()).length).toBeGreaterThan(0);
    const fields = await pd.personFields.list();
    expect(fields.items.some((f) => f.field_code === 'emails' || f.field_code === 'email')).toBe(
      true,
    );
    expect((await pd.organizationFields.list()).items.length).toBeGreaterThan(0);
    const orgs = await pd.organizations.list();
    const org = orgs.items[0];
    if (org) expect((await pd.organizations.get(org.id)).id).toBe(org.id);
    expect(Array.isArray(await pd.filters.list())).toBe(true);

    const hook = await pd.webhooks.create({
      name: 'CC sync',
      subscription_url: 'https://example.com/hooks/pd',
      event_action: 'change',
      event_object: 'person',
      version: '2.0',
    });
    expect((await pd.webhooks.list()).map((w) => w.id)).toContain(hook.id);
    await pd.webhooks.delete(hook.id);
    expect((await pd.webhooks.list()).map((w) => w.id)).not.toContain(hook.id);

    const person = await pd.persons.create({ name: 'Note Target' });
    const types = await pd.activityTypes.list();
    const type =
      types.find((t) => t.name === 'Email opened') ??
      (await pd.activityTypes.create({ name: 'Email opened', icon_key: 'email' }));
    const activity = await pd.activities.create({
      subject: 'Opened "November news"',
      type: type.key_string,
      person_id: person.id,
      done: true,
    });
    expect((await pd.activities.list({ person_id: person.id })).items.map((a) => a.id)).toContain(
      activity.id,
    );
    const note = await pd.notes.create({ content: 'Unsubscribed in CC', person_id: person.id });
    expect(note.person_id).toBe(person.id);
  });

  it('retries injected 429s and 5xx until the call lands', async () => {
    const pd = client(companyId);
    fake.control.addFault({
      method: 'GET',
      path: '^/api/v2/persons$',
      status: 429,
      times: 1,
      headers: {
        'x-ratelimit-limit': '160',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': '1',
      },
      body: { success: false, error: 'Request over limit', errorCode: 429 },
    });
    fake.control.addFault({ method: 'GET', path: '^/api/v2/persons$', status: 502, times: 2 });
    fake.control.clearRequests();
    const page = await withRetry(() => pd.persons.list({ limit: 5 }), fast);
    expect(page.items).toHaveLength(5);
    const statuses = fake.control
      .requests()
      .filter((r) => r.path === '/api/v2/persons')
      .map((r) => r.status);
    expect(statuses).toEqual([429, 502, 502, 200]);
  });

  it('waits out real burst 429s from the fake so every call completes', async () => {
    fake.control.setRateLimits({ burstPerWindow: 4, windowMs: 500 });
    fake.control.clearRequests();
    try {
      const pd = client(secondCompanyId);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          withRetry(
            () =>
              pd.persons.get({ id: i + 1 }).catch((e: unknown) => {
                if (isApiError(e) && e.status === 404) return null;
                throw e;
              }),
            fast,
          ),
        ),
      );
      expect(results).toHaveLength(10);
      const log = fake.control.requests().filter((r) => r.path.startsWith('/api/v2/persons/'));
      expect(log.filter((r) => r.status !== 429)).toHaveLength(10);
      console.info(`burst 4 per 500 ms: 10 calls, ${log.length - 10} answered 429 and retried`);
    } finally {
      fake.control.setRateLimits({ burstPerWindow: undefined, windowMs: 2_000 });
    }
  });

  it('paces calls to the rolling burst window from its own log: no 429, never over the limit', async () => {
    fake.control.setRateLimits({ burstPerWindow: 8, windowMs: 2_000 });
    try {
      const pd = client(secondCompanyId);
      await pd.persons.list({ limit: 1 }); // the first answer says the limit (x-ratelimit-limit)
      await new Promise((r) => setTimeout(r, 2_100)); // an empty window to start from
      fake.control.clearRequests();
      await Promise.all(Array.from({ length: 24 }, () => pd.persons.list({ limit: 1 })));
      const arrivals = fake.control
        .requests()
        .filter((r) => r.path === '/api/v2/persons')
        .map((r) => ({ at: r.at, status: r.status }));
      expect(arrivals.filter((r) => r.status === 429)).toEqual([]);
      expect(arrivals).toHaveLength(24);
      const busiest = Math.max(
        ...arrivals.map((a) => arrivals.filter((b) => b.at >= a.at && b.at < a.at + 2_000).length),
      );
      expect(busiest).toBeLessThanOrEqual(8);
      // 24 calls at 8 per window take three windows at least: the log held them back.
      const span = Math.max(...arrivals.map((a) => a.at)) - Math.min(...arrivals.map((a) => a.at));
      expect(span).toBeGreaterThanOrEqual(4_000);
    } finally {
      fake.control.setRateLimits({ burstPerWindow: undefined, windowMs: 2_000 });
    }
  });

  it('stops at its share of the daily budget before calling Pipedrive', async () => {
    const budget = createPipedriveBudget(tdb.db, { share: SHARE });
    const id = secondCompanyId;
    const spent = (await readBudgets(tdb.db, { pipedrive: { companyId: id, share: SHARE } }))
      .pipedrive.used;
    await budget.setDailyBudget(id, (spent + 50) * 2); // the app's share: 50 tokens left
    const pd = client(id, undefined, budget);
    fake.control.clearRequests();
    let ok = 0;
    let refused: unknown;
    for (let i = 0; i < 7; i++) {
      try {
        await pd.persons.list({ limit: 1 });
        ok++;
      } catch (error) {
        refused = error;
        break;
      }
    }
    expect(ok).toBe(5);
    expect(refused).toMatchObject({ kind: 'budget', provider: 'pipedrive' });
    const decision = decideRetry(refused, 1, Date.now());
    expect(decision).toMatchObject({ action: 'wait', reason: 'budget' });
    expect(fake.control.requests().filter((r) => r.path === '/api/v2/persons')).toHaveLength(5);

    const cc = createCcLimiter(tdb.db, { clientId: 'readout-app', perSecond: 50, perDay: 100 });
    for (const account of ['mine', 'mine', 'other'])
      await cc.acquire({ account, priority: 'continuous' });
    const readout = await readBudgets(tdb.db, {
      pipedrive: { companyId: id, share: SHARE },
      constantContact: { clientId: 'readout-app', perDay: 100, account: 'mine' },
    });
    expect(readout.pipedrive).toMatchObject({ used: spent + 50, left: 0 });
    expect(readout.constantContact).toMatchObject({ appUsed: 3, appLeft: 97, accountUsed: 2 });
    expect(readout.pipedrive.resetsAt).toMatch(/T00:00:00.000Z$/);
  });

  it('shares one daily account between budgets on separate pools (processes)', async () => {
    const pools = [createDatabase(tdb.url, { max: 4 }), createDatabase(tdb.url, { max: 4 })];
    try {
      const budgets = pools.map((db) => createPipedriveBudget(db, { share: 0.5 }));
      const company = 990_001;
      await budgets[0]?.setDailyBudget(company, 200); // share: 100 tokens = 10 list calls
      const outcomes = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          (budgets[i % 2] as PipedriveBudget).reserve(company, 'v2 GET /persons').then(
            () => 'ok',
            (e: unknown) => (isApiError(e) && e.kind === 'budget' ? 'refused' : String(e)),
          ),
        ),
      );
      expect(outcomes.filter((o) => o === 'ok')).toHaveLength(10);
      expect(outcomes.filter((o) => o === 'refused')).toHaveLength(20);
      const readout = await readBudgets(tdb.db, { pipedrive: { companyId: company, share: 0.5 } });
      expect(readout.pipedrive).toMatchObject({ used: 100, limit: 100, left: 0, dailyBudget: 200 });
    } finally {
      await Promise.all(pools.map((p) => p.destroy()));
    }
  });

  it('refreshes once on a 401; a second 401 is reauth with no token in the error', async () => {
    const tokens = new FakeTokens('expired-pd-token-0123456789', mintFor(companyId));
    expect((await client(companyId, tokens).users.me()).company_id).toBe(companyId);
    expect(tokens.refreshes).toBe(1);

    const bad = 'revoked-pd-token-abcdefghijkl';
    const still = 'still-bad-pd-token-mnopqrstuv';
    const dead = new FakeTokens(bad, () => still);
    const error = await withRetry(() => client(companyId, dead).users.me(), fast).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ status: 401, refreshed: true, provider: 'pipedrive' });
    expect(decideRetry(error, 1, Date.now())).toEqual({ action: 'stop', reason: 'reauth' });
    const valid = mintFor(companyId)();
    const invalid = await client(companyId, new FakeTokens(valid, mintFor(companyId)))
      .persons.create({ name: '' })
      .catch((e: unknown) => e);
    expect(invalid).toMatchObject({ status: 400 });
    for (const e of [error, invalid]) {
      const text = `${String(e)} ${JSON.stringify(e)} ${(e as Error).stack ?? ''}`;
      for (const secret of [bad, still, valid, APP.clientSecret])
        expect(text).not.toContain(secret);
    }
  });
});
