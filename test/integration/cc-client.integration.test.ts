/**
 * The Constant Contact client against the in-process CC fake, through the Postgres limiter:
 * round trips, the 409 conflict id, bulk import polling, faults retried within the budget,
 * schema drift, the single refresh on 401, and no secret in any error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ccKeys, createCcLimiter, utcDayStart } from '../../server/api/cc-limiter.ts';
import { ApiError, decideRetry } from '../../server/api/errors.ts';
import { RetryLaterError, withRetry } from '../../server/api/retry.ts';
import type { TokenSource } from '../../server/api/token-source.ts';
import {
  allPages,
  type CcClient,
  conflictingContactId,
  createCcClient,
} from '../../server/constant-contact/client.ts';
import {
  type ConstantContactFake,
  createConstantContactFake,
} from '../fakes/constant-contact/server.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';

const APP = {
  clientId: 'cc-client-app',
  clientSecret: 'cc-client-secret-value',
  redirectUri: 'http://127.0.0.1:9/cb',
};
const ACCOUNT = 'acct-client';

let tdb: TestDatabase;
let fake: ConstantContactFake;

/** Mints from the fake; `first` lets a test start from a token the fake will reject. */
class FakeTokens implements TokenSource {
  refreshes = 0;
  seen: string[] = [];
  constructor(
    private current: string,
    private readonly mint: () => string,
  ) {
    this.seen.push(current);
  }
  async get(): Promise<string> {
    return this.current;
  }
  async refresh(rejected: string): Promise<string> {
    this.refreshes++;
    if (rejected === this.current) this.current = this.mint();
    this.seen.push(this.current);
    return this.current;
  }
}

function mint(): string {
  return fake.control.mintToken({ clientId: APP.clientId, accountId: ACCOUNT }).access_token;
}

function client(tokens: TokenSource, extra: { fetch?: typeof fetch } = {}): CcClient {
  return createCcClient({
    origin: fake.baseUrl,
    account: ACCOUNT,
    tokens,
    // Ordinary numbers here; the 4/s behaviour is measured in cc-limiter.integration.test.ts.
    limiter: createCcLimiter(tdb.db, { clientId: APP.clientId, perSecond: 20, perDay: 10_000 }),
    priority: 'interactive',
    ...extra,
  });
}

const fast = {
  decide: (e: unknown, a: number, n: number) => decideRetry(e, a, n, { baseDelayMs: 20 }),
};

beforeAll(async () => {
  tdb = await freshDatabase();
  fake = createConstantContactFake({
    seed: 'empty',
    apps: [APP],
    rateLimits: { perSecond: 20 },
  });
  await fake.listen(0);
  fake.control.addAccount({ accountId: ACCOUNT });
});
afterAll(async () => {
  await fake?.close();
  await tdb?.drop();
});

describe('Constant Contact client', () => {
  it('lists every contact to the end through _links.next', async () => {
    fake.control.loadContacts(ACCOUNT, 1_203);
    fake.control.clearRequests();
    const cc = client(new FakeTokens(mint(), mint));
    const emails = new Set<string>();
    for await (const contact of allPages((next) =>
      cc.contacts.list({ include: ['list_memberships'] }, next),
    ))
      emails.add(contact.email_address?.address ?? '');
    expect(emails.size).toBe(1_203);
    expect(fake.control.requests().filter((r) => r.path === '/v3/contacts')).toHaveLength(3);
  });

  it('create → 409 carrying the existing id → get; then a full PUT', async () => {
    const cc = client(new FakeTokens(mint(), mint));
    const created = await cc.contacts.create({
      email_address: { address: 'ada@example.com', permission_to_send: 'implicit' },
      first_name: 'Ada',
      create_source: 'Account',
    });
    const again = await cc.contacts
      .create({ email_address: { address: 'ada@example.com' }, create_source: 'Account' })
      .catch((e: unknown) => e);
    expect(again).toBeInstanceOf(ApiError);
    expect(again).toMatchObject({ status: 409, code: 'contacts.api.conflict' });
    expect(decideRetry(again, 1, Date.now())).toEqual({ action: 'stop', reason: 'conflict' });
    const id = conflictingContactId(again);
    expect(id).toBe(created.contact_id);

    const full = await cc.contacts.get(id ?? '', {
      include: ['custom_fields', 'list_memberships'],
    });
    await cc.contacts.update(full.contact_id, {
      email_address: { address: 'ada@example.com' },
      first_name: 'Ada',
      last_name: 'Lovelace',
      update_source: 'Account',
    });
    expect(fake.control.contact(ACCOUNT, full.contact_id)).toMatchObject({
      first_name: 'Ada',
      last_name: 'Lovelace',
    });
  });

  it('imports in bulk and polls the activity to completed', async () => {
    const cc = client(new FakeTokens(mint(), mint));
    const list = await cc.lists.create({ name: 'Imported' });
    fake.control.setActivityDelay(300);
    const activity = await cc.bulk.importContacts({
      import_data: [
        { email: 'bulk1@example.com', first_name: 'One' },
        { email: 'bulk2@example.com', first_name: 'Two' },
      ],
      list_ids: [list.list_id],
    });
    let state = activity.state;
    for (let i = 0; i < 50 && state !== 'completed'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = (await cc.bulk.activity(activity.activity_id)).state;
    }
    fake.control.setActivityDelay(0);
    expect(state).toBe('completed');
    const page = await cc.contacts.list({ lists: [list.list_id] });
    expect(page.items.map((c) => c.email_address?.address).sort()).toEqual([
      'bulk1@example.com',
      'bulk2@example.com',
    ]);
  });

  it('retries 503s and a throttled 429 within the limiter budget until the create lands', async () => {
    const cc = client(new FakeTokens(mint(), mint));
    fake.control.addFault({ method: 'POST', path: '^/v3/contacts$', status: 503, times: 2 });
    fake.control.addFault({
      method: 'POST',
      path: '^/v3/contacts$',
      status: 429,
      body: { error_key: 'throttled', error_message: 'Too Many Requests' },
      times: 1,
    });
    fake.control.clearRequests();
    const before = await usedToday();
    const contact = await withRetry(
      () =>
        cc.contacts.create({
          email_address: { address: 'retry@example.com' },
          create_source: 'Account',
        }),
      fast,
    );
    const posts = fake.control.requests().filter((r) => r.path === '/v3/contacts');
    expect(posts.map((r) => r.status)).toEqual([503, 503, 429, 201]);
    expect(fake.control.contactByEmail(ACCOUNT, 'retry@example.com')?.contact_id).toBe(
      contact.contact_id,
    );
    // Every attempt took a limiter slot: 4 requests counted against the app's day.
    expect((await usedToday()) - before).toBe(4);
  });

  it('postpones to 00:00 UTC when CC answers quota_exceeded', async () => {
    const cc = client(new FakeTokens(mint(), mint));
    fake.control.setRateLimits({ perDay: fake.control.usedToday(APP.clientId) });
    try {
      const error = await withRetry(() => cc.account.summary(), fast).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RetryLaterError);
      const later = error as RetryLaterError;
      expect(later.reason).toBe('daily_quota');
      expect(new Date(later.retryAtMs).toISOString()).toMatch(/T00:00:00.000Z$/);
      expect(later.error).toMatchObject({ status: 429, code: 'quota_exceeded' });
    } finally {
      fake.control.setRateLimits({ perDay: 10_000 });
    }
  });

  it('fails loudly with the field path when a response drifts', async () => {
    const drifting: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const body = (await res.json()) as { contacts: Array<Record<string, unknown>> };
      for (const c of body.contacts) delete c.contact_id;
      return new Response(JSON.stringify(body), { status: res.status, headers: res.headers });
    };
    const cc = client(new FakeTokens(mint(), mint), { fetch: drifting });
    const error = await cc.contacts.list({ limit: 5 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'invalid_response', code: 'contacts.0.contact_id' });
    expect(decideRetry(error, 1, Date.now())).toEqual({
      action: 'stop',
      reason: 'invalid_response',
    });
  });

  it('refreshes once on a 401 and carries on', async () => {
    const tokens = new FakeTokens('expired-token-0123456789', mint);
    const summary = await client(tokens).account.summary();
    expect(summary.encoded_account_id).toBe(ACCOUNT);
    expect(tokens.refreshes).toBe(1);
  });

  it('surfaces a second 401 as reauth, with no token or secret in the error', async () => {
    const bad = 'revoked-token-abcdefghijklmnop';
    const tokens = new FakeTokens(bad, () => 'still-bad-token-qrstuvwxyz012345');
    const error = await withRetry(() => client(tokens).account.summary(), fast).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ status: 401, refreshed: true });
    expect(decideRetry(error, 1, Date.now())).toEqual({ action: 'stop', reason: 'reauth' });
    expect(tokens.refreshes).toBe(1);

    const valid = mint();
    const invalid = await client(new FakeTokens(valid, mint))
      .contacts.create({ create_source: 'Account' } as never)
      .catch((e: unknown) => e);
    expect(invalid).toMatchObject({ status: 400 });
    for (const e of [error, invalid]) {
      const text = `${String(e)} ${JSON.stringify(e)} ${(e as Error).stack ?? ''}`;
      for (const secret of [bad, 'still-bad-token-qrstuvwxyz012345', valid, APP.clientSecret])
        expect(text).not.toContain(secret);
    }
  });
});

async function usedToday(): Promise<number> {
  const row = await tdb.db
    .selectFrom('api_budget')
    .select('used')
    .where('provider', '=', 'constant_contact')
    .where('key', '=', ccKeys.total(APP.clientId))
    .where('window_start', '=', utcDayStart(Date.now()))
    .executeTakeFirst();
  return row?.used ?? 0;
}
