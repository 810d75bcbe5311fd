/**
 * The `/__fake/` control surface over HTTP, faults, and the switches for UNCONFIRMED points.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arr, type Harness, obj, startHarness } from './harness.ts';

const ACCOUNT = 'a07e1empty001';
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

async function ctl(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${h.base}/__fake${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return res.json();
}

async function create(email: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await h.call('POST', '/v3/contacts', {
    body: {
      email_address: { address: email },
      create_source: 'Account',
      first_name: 'C',
      ...extra,
    },
  });
  return String(obj(res.body).contact_id);
}

describe('/__fake/ routes', () => {
  it('mints tokens, edits a contact as a CC user, unsubscribes it as the recipient, and reads the store', async () => {
    const minted = obj(
      await ctl('POST', '/tokens', {
        clientId: 'test-client',
        accountId: ACCOUNT,
        scopes: ['contact_data'],
      }),
    );
    const token = String(minted.access_token);
    const id = await create('ui@example.com');
    const before = h.fake.control.contact(ACCOUNT, id)?.updatedAt ?? 0;
    h.fake.clock.advance(1000);
    await ctl('POST', `/accounts/${ACCOUNT}/contacts/${id}/ui-edit`, {
      first_name: 'Edited',
      last_name: null,
    });
    const read = obj((await h.call('GET', `/v3/contacts/${id}`, { token })).body);
    expect(read.first_name).toBe('Edited');
    expect(read.update_source).toBe('Account');
    expect(Date.parse(String(read.updated_at))).toBeGreaterThan(before);
    h.fake.clock.advance(1000);
    await ctl('POST', `/accounts/${ACCOUNT}/contacts/${id}/unsubscribe`, { reason: 'too many' });
    const raw = obj(await ctl('GET', `/store/${ACCOUNT}/contacts/${id}`));
    expect(obj(raw.email).permission).toBe('unsubscribed');
    expect(raw.updatedAt).toBe(Date.parse(String(read.updated_at)));
    const summary = obj(await ctl('GET', '/store'));
    expect(arr(summary.accounts)[0]).toMatchObject({ accountId: ACCOUNT, unsubscribed: 1 });
    expect(arr(summary.grants).some((g) => g.grantId === minted.grant_id)).toBe(true);
  });

  it('sends a campaign and records engagement over HTTP', async () => {
    const id = await create('camp@example.com');
    const sent = obj(
      await ctl('POST', `/accounts/${ACCOUNT}/campaigns`, { name: 'HTTP blast', contactIds: [id] }),
    );
    await ctl('POST', `/accounts/${ACCOUNT}/engagement`, {
      campaignActivityId: sent.campaignActivityId,
      kind: 'clicks',
      contactIds: [id],
      linkUrl: 'https://example.com/c',
    });
    const clicks = obj(
      (await h.call('GET', `/v3/reports/email_reports/${sent.campaignActivityId}/tracking/clicks`))
        .body,
    );
    expect(arr(clicks.tracking_activities)[0]).toMatchObject({
      contact_id: id,
      link_url: 'https://example.com/c',
    });
  });

  it('controls the clock and the request log', async () => {
    const now = obj(await ctl('POST', '/clock', { set: '2026-12-01T00:00:00Z' }));
    expect(now.iso).toBe('2026-12-01T00:00:00.000Z');
    await ctl('DELETE', '/requests');
    await h.call('GET', '/v3/contacts');
    const log = arr(await ctl('GET', '/requests'));
    expect(log.map((e) => [e.path, e.clientId, e.at])).toEqual([
      ['/v3/contacts', 'test-client', Date.parse('2026-12-01T00:00:00Z')],
    ]);
  });

  it('injects faults, then recovers', async () => {
    await ctl('POST', '/faults', { path: '^/v3/contacts$', status: 503, times: 1 });
    const failed = await fetch(`${h.base}/v3/contacts`, {
      headers: { authorization: `Bearer ${h.token()}` },
    });
    expect(failed.status).toBe(503);
    expect((await h.call('GET', '/v3/contacts')).status).toBe(200);
  });

  it('resets to a seed', async () => {
    await create('temp@example.com');
    await ctl('POST', '/reset', { seed: 'empty' });
    expect(h.fake.control.contactByEmail(ACCOUNT, 'temp@example.com')).toBeUndefined();
    const seeded = obj(
      await ctl('POST', '/seed', {
        seed: {
          accounts: [
            {
              accountId: 'seeded',
              lists: ['L'],
              contacts: [{ email: 'a@b.example.com', lists: ['L'], permission: 'explicit' }],
            },
          ],
        },
      }),
    );
    expect(arr(seeded.accounts)[0]).toMatchObject({ accountId: 'seeded', contacts: 1, lists: 1 });
    await ctl('POST', '/reset', { seed: 'empty' });
  });
});

describe('switches for UNCONFIRMED points', () => {
  it('delete moves updated_at only when deleteTouchesUpdatedAt is on', async () => {
    const a = await create('del-a@example.com');
    h.fake.clock.advance(1000);
    await h.call('DELETE', `/v3/contacts/${a}`);
    const c = h.fake.control.contact(ACCOUNT, a);
    expect(c?.updatedAt).toBeLessThan(c?.deletedAt ?? 0);
    h.fake.control.setBehaviour({ deleteTouchesUpdatedAt: true });
    const b = await create('del-b@example.com');
    h.fake.clock.advance(1000);
    await h.call('DELETE', `/v3/contacts/${b}`);
    const d = h.fake.control.contact(ACCOUNT, b);
    expect(d?.updatedAt).toBe(d?.deletedAt);
    h.fake.control.setBehaviour({ deleteTouchesUpdatedAt: false });
  });

  it('merges PUT arrays when putArrays is merge', async () => {
    const l1 = String(
      obj((await h.call('POST', '/v3/contact_lists', { body: { name: 'M1' } })).body).list_id,
    );
    const l2 = String(
      obj((await h.call('POST', '/v3/contact_lists', { body: { name: 'M2' } })).body).list_id,
    );
    const id = await create('merge@example.com', { list_memberships: [l1] });
    h.fake.control.setBehaviour({ putArrays: 'merge' });
    await h.call('PUT', `/v3/contacts/${id}`, {
      body: {
        email_address: { address: 'merge@example.com' },
        update_source: 'Account',
        list_memberships: [l2],
      },
    });
    expect(h.fake.control.contact(ACCOUNT, id)?.list_memberships).toEqual([l1, l2]);
    // Merging past 3 phones is a 400 that leaves the contact untouched.
    const phones = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ phone_number: `+1 555 01${i}`, kind: 'home' }));
    const put = (body: Record<string, unknown>) =>
      h.call('PUT', `/v3/contacts/${id}`, {
        body: {
          email_address: { address: 'merge@example.com' },
          update_source: 'Account',
          first_name: 'Kept',
          ...body,
        },
      });
    await put({ phone_numbers: phones(2) });
    const res = await put({ first_name: 'Changed', phone_numbers: phones(2) });
    h.fake.control.setBehaviour({ putArrays: 'replace' });
    expect(res.status).toBe(400);
    expect(h.fake.control.contact(ACCOUNT, id)?.first_name).toBe('Kept');
    expect(h.fake.control.contact(ACCOUNT, id)?.phone_numbers?.length).toBe(2);
  });

  it('treats emails case-insensitively by default and case-sensitively when switched', async () => {
    await create('Case@Example.com');
    expect(
      arr(obj((await h.call('GET', '/v3/contacts?email=case@example.com')).body).contacts).length,
    ).toBe(1);
    h.fake.control.setBehaviour({ emailCaseSensitive: true });
    try {
      expect(
        arr(obj((await h.call('GET', '/v3/contacts?email=CASE@example.com')).body).contacts).length,
      ).toBe(0);
    } finally {
      h.fake.control.setBehaviour({ emailCaseSensitive: false });
    }
  });

  it('hides fresh changes from updated_after while the visibility lag lasts', async () => {
    const since = new Date(h.fake.clock.now() - 1).toISOString();
    const id = await create('lag@example.com');
    h.fake.control.setBehaviour({ visibilityLagMs: 30_000 });
    const ids = async () =>
      arr(obj((await h.call('GET', `/v3/contacts?updated_after=${since}`)).body).contacts).map(
        (c) => c.contact_id,
      );
    expect(await ids()).not.toContain(id);
    h.fake.clock.advance(30_000);
    expect(await ids()).toContain(id);
    h.fake.control.setBehaviour({ visibilityLagMs: 0 });
  });

  it('keeps temp_hold through API writes other than an unsubscribe', async () => {
    const id = await create('hold@example.com');
    h.fake.control.setPermission(ACCOUNT, id, 'temp_hold');
    await h.call('PUT', `/v3/contacts/${id}`, {
      body: {
        email_address: { address: 'hold@example.com', permission_to_send: 'explicit' },
        update_source: 'Account',
      },
    });
    expect(h.fake.control.contact(ACCOUNT, id)?.email?.permission).toBe('temp_hold');
    await h.call('PUT', `/v3/contacts/${id}`, {
      body: {
        email_address: { address: 'hold@example.com', permission_to_send: 'unsubscribed' },
        update_source: 'Account',
      },
    });
    expect(h.fake.control.contact(ACCOUNT, id)?.email?.optOutSource).toBe('Account');
  });

  it('formats activity errors without line numbers when switched', async () => {
    const list = String(
      obj((await h.call('POST', '/v3/contact_lists', { body: { name: 'Plain' } })).body).list_id,
    );
    h.fake.control.setBehaviour({ activityErrorFormat: 'plain' });
    const res = await h.call('POST', '/v3/activities/contacts_json_import', {
      body: { list_ids: [list], import_data: [{ email: 'bad' }] },
    });
    h.fake.control.setBehaviour({ activityErrorFormat: 'line' });
    const done = obj((await h.call('GET', `/v3/activities/${obj(res.body).activity_id}`)).body);
    expect(done.activity_errors).toEqual(['Invalid email address (bad)']);
  });
});
