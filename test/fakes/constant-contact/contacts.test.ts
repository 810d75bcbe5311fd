import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ccErrors } from '../../../server/constant-contact/provider.ts';
import { arr, type Harness, obj, startHarness, T0 } from './harness.ts';

const ACCOUNT = 'a07e1empty001';
let h: Harness;
let listA: string;
let listB: string;
let fieldId: string;

beforeAll(async () => {
  h = await startHarness();
  listA = String(
    obj((await h.call('POST', '/v3/contact_lists', { body: { name: 'A' } })).body).list_id,
  );
  listB = String(
    obj((await h.call('POST', '/v3/contact_lists', { body: { name: 'B' } })).body).list_id,
  );
  const field = await h.call('POST', '/v3/contact_custom_fields', {
    body: { label: 'Deal Stage', type: 'string' },
  });
  fieldId = String(obj(field.body).custom_field_id);
});
afterAll(() => h.close());

async function create(email: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await h.call('POST', '/v3/contacts', {
    body: {
      email_address: { address: email },
      first_name: 'F',
      create_source: 'Account',
      ...extra,
    },
  });
  expect(res.status).toBe(201);
  return String(obj(res.body).contact_id);
}

const stored = (id: string) => h.fake.control.contact(ACCOUNT, id);

describe('POST /contacts', () => {
  it('answers 409 contacts.api.conflict naming the existing id, for live, deleted and unsubscribed contacts', async () => {
    const live = await create('live@example.com');
    const deleted = await create('gone@example.com');
    const unsub = await create('unsub@example.com');
    await h.call('DELETE', `/v3/contacts/${deleted}`);
    h.fake.control.unsubscribe(ACCOUNT, unsub);
    for (const [email, id] of [
      ['LIVE@example.com', live],
      ['gone@example.com', deleted],
      ['unsub@example.com', unsub],
    ] as const) {
      const res = await h.call('POST', '/v3/contacts', {
        body: { email_address: { address: email }, create_source: 'Account' },
      });
      expect(res.status).toBe(409);
      const [err] = arr(res.body);
      expect(err?.error_key).toBe('contacts.api.conflict');
      expect(String(err?.error_message).match(ccErrors.conflictIdPattern)?.[1]).toBe(id);
    }
  });

  it('requires create_source and validates field limits', async () => {
    const res = await h.call('POST', '/v3/contacts', {
      body: {
        email_address: { address: 'limits@example.com' },
        first_name: 'x'.repeat(51),
        phone_numbers: Array.from({ length: 4 }, (_, i) => ({
          phone_number: `+1 555 000${i}`,
          kind: 'home',
        })),
        street_addresses: Array.from({ length: 4 }, () => ({ kind: 'home', city: 'X' })),
        custom_fields: Array.from({ length: 26 }, () => ({ custom_field_id: fieldId, value: 'v' })),
        list_memberships: Array.from({ length: 51 }, () => listA),
        birthday_month: 3,
      },
    });
    expect(res.status).toBe(400);
    const messages = arr(res.body).map((e) => String(e.error_message));
    expect(arr(res.body).every((e) => e.error_key === 'contacts.api.validation.error')).toBe(true);
    for (const part of [
      'create_source',
      'first_name',
      'phone_numbers',
      'street_addresses',
      'custom_fields',
      'list_memberships',
      'birthday_day',
    ]) {
      expect(messages.some((m) => m.includes(part))).toBe(true);
    }
    expect(h.fake.control.contactByEmail(ACCOUNT, 'limits@example.com')).toBeUndefined();
  });

  it('rejects an unknown custom_field_id', async () => {
    const res = await h.call('POST', '/v3/contacts', {
      body: {
        email_address: { address: 'cf@example.com' },
        create_source: 'Account',
        custom_fields: [{ custom_field_id: '00000000-0000-4000-8000-000000000000', value: 'x' }],
      },
    });
    expect(res.status).toBe(400);
  });
});

describe('PUT /contacts/{id}', () => {
  it('blanks omitted top-level fields and keeps omitted sub-resources', async () => {
    const id = await create('put@example.com', {
      last_name: 'L',
      job_title: 'CTO',
      phone_numbers: [{ phone_number: '+1 555 0100', kind: 'work' }],
      list_memberships: [listA],
      custom_fields: [{ custom_field_id: fieldId, value: 'won' }],
    });
    const res = await h.call('PUT', `/v3/contacts/${id}`, {
      body: {
        email_address: { address: 'put@example.com' },
        first_name: 'New',
        update_source: 'Account',
      },
    });
    expect(res.status).toBe(200);
    const c = stored(id);
    expect(c?.first_name).toBe('New');
    expect(c?.last_name).toBeUndefined();
    expect(c?.job_title).toBeUndefined();
    expect(c?.phone_numbers?.map((p) => p.phone_number)).toEqual(['+1 555 0100']);
    expect(c?.list_memberships).toEqual([listA]);
    expect(c?.custom_fields).toEqual([{ custom_field_id: fieldId, value: 'won' }]);
    const read = obj(
      (await h.call('GET', `/v3/contacts/${id}?include=phone_numbers,list_memberships`)).body,
    );
    expect(read.last_name).toBeUndefined();
    expect(read.list_memberships).toEqual([listA]);
  });

  it('replaces sub-resource arrays that are sent', async () => {
    const id = await create('replace@example.com', { list_memberships: [listA] });
    await h.call('PUT', `/v3/contacts/${id}`, {
      body: {
        email_address: { address: 'replace@example.com' },
        update_source: 'Account',
        list_memberships: [listB],
      },
    });
    expect(stored(id)?.list_memberships).toEqual([listB]);
  });

  it('revives a deleted contact', async () => {
    const id = await create('revive@example.com', { list_memberships: [listA] });
    await h.call('DELETE', `/v3/contacts/${id}`);
    expect(stored(id)?.deletedAt).toBeDefined();
    await h.call('PUT', `/v3/contacts/${id}`, {
      body: {
        email_address: { address: 'revive@example.com' },
        update_source: 'Account',
        list_memberships: [listB],
      },
    });
    const listed = obj(
      (await h.call('GET', '/v3/contacts?email=revive@example.com&include=list_memberships')).body,
    );
    const [c] = arr(listed.contacts);
    expect(c?.contact_id).toBe(id);
    expect(c?.deleted_at).toBeUndefined();
    expect(c?.list_memberships).toEqual([listB]);
  });

  it('answers 409 when the new email belongs to another contact', async () => {
    const a = await create('owner-a@example.com');
    const b = await create('owner-b@example.com');
    const res = await h.call('PUT', `/v3/contacts/${b}`, {
      body: { email_address: { address: 'owner-a@example.com' }, update_source: 'Account' },
    });
    expect(res.status).toBe(409);
    expect(String(arr(res.body)[0]?.error_message)).toContain(a);
    expect(stored(b)?.email?.address).toBe('owner-b@example.com');
  });

  it('does not resubscribe an opted-out contact, logs the attempt, and can reject instead', async () => {
    const id = await create('optout@example.com');
    h.fake.control.unsubscribe(ACCOUNT, id, { reason: 'spam' });
    const body = {
      email_address: { address: 'optout@example.com', permission_to_send: 'explicit' },
      update_source: 'Account',
    };
    const res = await h.call('PUT', `/v3/contacts/${id}`, { body });
    expect(res.status).toBe(200);
    expect(obj(obj(res.body).email_address).permission_to_send).toBe('unsubscribed');
    expect(stored(id)?.email?.permission).toBe('unsubscribed');
    expect(
      h.fake.control
        .permissionAttempts()
        .some((a) => a.contactId === id && a.outcome === 'ignored'),
    ).toBe(true);
    h.fake.control.setBehaviour({ unsubscribedPut: 'reject' });
    try {
      const renamed = {
        ...body,
        email_address: { ...body.email_address, address: 'renamed@example.com' },
      };
      expect((await h.call('PUT', `/v3/contacts/${id}`, { body: renamed })).status).toBe(400);
      expect(stored(id)?.email?.address).toBe('optout@example.com');
      expect(
        h.fake.control
          .permissionAttempts()
          .some((a) => a.contactId === id && a.outcome === 'rejected'),
      ).toBe(true);
    } finally {
      h.fake.control.setBehaviour({ unsubscribedPut: 'ignore' });
    }
  });

  it('requires update_source', async () => {
    const id = await create('nosource@example.com');
    const res = await h.call('PUT', `/v3/contacts/${id}`, { body: { first_name: 'x' } });
    expect(res.status).toBe(400);
    expect(stored(id)?.first_name).toBe('F');
  });
});

describe('DELETE /contacts/{id}', () => {
  it('soft-deletes: deleted_at date, memberships cleared, hidden from the default listing, visible with status', async () => {
    const id = await create('soft@example.com', { list_memberships: [listA] });
    const before = stored(id)?.updatedAt;
    expect((await h.call('DELETE', `/v3/contacts/${id}`)).status).toBe(204);
    const one = obj((await h.call('GET', `/v3/contacts/${id}?include=list_memberships`)).body);
    expect(one.deleted_at).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(one.list_memberships).toEqual([]);
    expect(stored(id)?.updatedAt).toBe(before);
    const ids = async (q: string) =>
      arr(obj((await h.call('GET', `/v3/contacts?limit=500${q}`)).body).contacts).map(
        (c) => c.contact_id,
      );
    expect(await ids('')).not.toContain(id);
    expect(await ids('&status=deleted')).toContain(id);
    expect(await ids('&status=all')).toContain(id);
    expect(await ids(`&lists=${listA}`)).not.toContain(id);
  });

  it('answers 404 for an unknown or malformed id', async () => {
    const res = await h.call('DELETE', '/v3/contacts/not-a-uuid');
    expect(res.status).toBe(404);
    expect(arr(res.body)[0]?.error_key).toBe('contacts.api.not_found');
  });
});

describe('opt-outs and date filters', () => {
  it('an unsubscribe moves only email_address.updated_at: updated_after misses it, optout_after finds it', async () => {
    const id = await create('watermark@example.com');
    const watermark = new Date(h.fake.clock.now()).toISOString();
    h.fake.clock.advance(60_000);
    h.fake.control.unsubscribe(ACCOUNT, id, { reason: 'bored' });
    const c = stored(id);
    expect(c?.email?.updatedAt).toBeGreaterThan(c?.updatedAt ?? Number.POSITIVE_INFINITY);
    const get = async (q: string) =>
      arr(obj((await h.call('GET', `/v3/contacts?status=all&${q}=${watermark}`)).body).contacts);
    expect((await get('updated_after')).map((x) => x.contact_id)).not.toContain(id);
    const opted = await get('optout_after');
    expect(opted.map((x) => x.contact_id)).toEqual([id]);
    const email = obj(opted[0]?.email_address);
    expect(email.opt_out_source).toBe('Contact');
    expect(email.opt_out_reason).toBe('bored');
    const unsubscribed = arr(
      obj((await h.call('GET', '/v3/contacts?status=unsubscribed&limit=500')).body).contacts,
    );
    expect(unsubscribed.map((x) => x.contact_id)).toContain(id);
  });

  it('filters on created_after/before and updated_before', async () => {
    h.fake.clock.set(T0 + 86_400_000);
    const id = await create('later@example.com');
    const after = new Date(T0 + 86_400_000 - 1).toISOString();
    const found = arr(
      obj((await h.call('GET', `/v3/contacts?created_after=${after}`)).body).contacts,
    );
    expect(found.map((c) => c.contact_id)).toEqual([id]);
    const before = arr(
      obj((await h.call('GET', `/v3/contacts?created_before=${after}&limit=500`)).body).contacts,
    );
    expect(before.map((c) => c.contact_id)).not.toContain(id);
    expect((await h.call('GET', '/v3/contacts?updated_after=yesterday')).status).toBe(400);
  });
});

describe('GET /contacts paging', () => {
  it('pages with an opaque path-relative next link, limit <= 500, include_count', async () => {
    const all = obj((await h.call('GET', '/v3/contacts?include_count=true&limit=500')).body);
    const total = Number(all.contacts_count);
    expect(total).toBe(arr(all.contacts).length);
    const seen: unknown[] = [];
    let next: string | undefined = '/v3/contacts?limit=3';
    while (next) {
      const page = obj((await h.call('GET', next)).body);
      const contacts = arr(page.contacts);
      expect(contacts.length).toBeLessThanOrEqual(3);
      seen.push(...contacts.map((c) => c.contact_id));
      const links = obj(page._links);
      next = links.next ? String(obj(links.next).href) : undefined;
      if (next) expect(next).toMatch(/^\/v3\/contacts\?cursor=/);
    }
    expect(seen.length).toBe(total);
    expect(new Set(seen).size).toBe(total);
    expect((await h.call('GET', '/v3/contacts?limit=501')).status).toBe(400);
  });

  it('returns core fields only unless include asks for sub-resources', async () => {
    const id = await create('include@example.com', { list_memberships: [listA] });
    const plain = arr(
      obj((await h.call('GET', '/v3/contacts?email=include@example.com')).body).contacts,
    )[0];
    expect(plain?.list_memberships).toBeUndefined();
    const full = obj(
      (await h.call('GET', `/v3/contacts/${id}?include=list_memberships,custom_fields`)).body,
    );
    expect(full.list_memberships).toEqual([listA]);
    expect(full.custom_fields).toEqual([]);
  });
});

describe('POST /contacts/sign_up_form', () => {
  it('creates (201) then updates (200) by email, appending lists and custom fields', async () => {
    const first = await h.call('POST', '/v3/contacts/sign_up_form', {
      body: { email_address: 'signup@example.com', first_name: 'S', list_memberships: [listA] },
    });
    expect(first.status).toBe(201);
    expect(obj(first.body).action).toBe('created');
    const id = String(obj(first.body).contact_id);
    expect(stored(id)?.email?.permission).toBe('explicit');
    const second = await h.call('POST', '/v3/contacts/sign_up_form', {
      body: {
        email_address: 'signup@example.com',
        list_memberships: [listB],
        custom_fields: [{ custom_field_id: fieldId, value: 'lead' }],
      },
    });
    expect(second.status).toBe(200);
    expect(obj(second.body)).toEqual({ contact_id: id, action: 'updated' });
    const c = stored(id);
    expect(c?.first_name).toBe('S');
    expect(new Set(c?.list_memberships)).toEqual(new Set([listA, listB]));
    expect(c?.custom_fields).toEqual([{ custom_field_id: fieldId, value: 'lead' }]);
  });

  it('requires at least one list', async () => {
    const res = await h.call('POST', '/v3/contacts/sign_up_form', {
      body: { email_address: 'nolist@example.com' },
    });
    expect(res.status).toBe(400);
    expect(h.fake.control.contactByEmail(ACCOUNT, 'nolist@example.com')).toBeUndefined();
  });

  it('makes new contacts pending_confirmation when Confirmed Opt-In is on', async () => {
    h.fake.control.setConfirmedOptIn(ACCOUNT, true);
    const res = await h.call('POST', '/v3/contacts/sign_up_form', {
      body: { email_address: 'coi@example.com', list_memberships: [listA] },
    });
    h.fake.control.setConfirmedOptIn(ACCOUNT, false);
    expect(stored(String(obj(res.body).contact_id))?.email?.permission).toBe(
      'pending_confirmation',
    );
  });
});

describe('resubscribe', () => {
  it('sends once per unsubscribed contact; the contact stays unsubscribed until confirmed', async () => {
    const id = await create('resub@example.com');
    h.fake.control.unsubscribe(ACCOUNT, id);
    const body = { list_ids: [listA] };
    expect((await h.call('PUT', `/v3/contacts/resubscribe/${id}`, { body })).status).toBe(200);
    expect(stored(id)?.email?.permission).toBe('unsubscribed');
    expect((await h.call('PUT', `/v3/contacts/resubscribe/${id}`, { body })).status).toBe(409);
    h.fake.control.confirmResubscribe(ACCOUNT, id);
    expect(stored(id)?.email?.permission).toBe('explicit');
    expect(stored(id)?.list_memberships).toContain(listA);
  });
});

describe('sign_up_form on existing contacts', () => {
  it('restores a deleted contact and makes an unsubscribed one explicit (it claims consent, §4.6)', async () => {
    const gone = await create('signup-gone@example.com');
    await h.call('DELETE', `/v3/contacts/${gone}`);
    const out = await create('signup-out@example.com');
    h.fake.control.unsubscribe(ACCOUNT, out);
    for (const email of ['signup-gone@example.com', 'signup-out@example.com']) {
      const res = await h.call('POST', '/v3/contacts/sign_up_form', {
        body: { email_address: email, list_memberships: [listA] },
      });
      expect(res.status).toBe(200);
    }
    expect(stored(gone)?.deletedAt).toBeUndefined();
    expect(stored(gone)?.list_memberships).toEqual([listA]);
    expect(stored(out)?.email?.permission).toBe('explicit');
    expect(stored(out)?.email?.optOutDate).toBeUndefined();
  });
});
