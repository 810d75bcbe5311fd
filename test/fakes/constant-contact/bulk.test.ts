import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arr, type Harness, obj, startHarness } from './harness.ts';

const ACCOUNT = 'a07e1empty001';
let h: Harness;
let list: string;
let list2: string;

beforeAll(async () => {
  h = await startHarness();
  list = String(
    obj((await h.call('POST', '/v3/contact_lists', { body: { name: 'Import' } })).body).list_id,
  );
  list2 = String(
    obj((await h.call('POST', '/v3/contact_lists', { body: { name: 'Other' } })).body).list_id,
  );
  await h.call('POST', '/v3/contact_custom_fields', {
    body: { label: 'Deal Stage', type: 'string' },
  });
});
afterAll(() => h.close());

async function activity(id: string) {
  return obj((await h.call('GET', `/v3/activities/${id}`)).body);
}

describe('JSON import', () => {
  it('creates implicit contacts with cf: columns, updates existing ones without blanking, skips opted-out contacts', async () => {
    const existing = await h.call('POST', '/v3/contacts', {
      body: {
        email_address: { address: 'old@example.com' },
        first_name: 'Old',
        last_name: 'Keep',
        create_source: 'Account',
      },
    });
    const unsub = await h.call('POST', '/v3/contacts', {
      body: { email_address: { address: 'out@example.com' }, create_source: 'Account' },
    });
    h.fake.control.unsubscribe(ACCOUNT, String(obj(unsub.body).contact_id));
    const res = await h.call('POST', '/v3/activities/contacts_json_import', {
      body: {
        list_ids: [list],
        import_data: [
          {
            email: 'new@example.com',
            first_name: 'New',
            'cf:Deal_Stage': 'won',
            phone: '+1 555 0100',
          },
          { email: 'old@example.com', first_name: 'Renamed' },
          { email: 'out@example.com', first_name: 'Out' },
          { email: 'not-an-email', first_name: 'Bad' },
          { email: 'x@example.com', 'cf:Nope': '1' },
        ],
      },
    });
    expect(res.status).toBe(201);
    expect(obj(res.body).state).toBe('initialized');
    const done = await activity(String(obj(res.body).activity_id));
    expect(done.state).toBe('completed');
    expect(done.status).toMatchObject({
      items_total_count: 5,
      person_count: 3,
      cannot_add_to_list_count: 1,
      correctable_count: 1,
      error_count: 1,
    });
    expect(done.activity_errors).toEqual([
      'Line 4: Invalid email address (not-an-email)',
      'Line 5: Unknown custom field cf:Nope (x@example.com)',
    ]);
    const fresh = h.fake.control.contactByEmail(ACCOUNT, 'new@example.com');
    expect(fresh?.email?.permission).toBe('implicit');
    expect(fresh?.email?.optInSource).toBe('Account');
    expect(fresh?.list_memberships).toEqual([list]);
    expect(fresh?.custom_fields?.[0]?.value).toBe('won');
    expect(fresh?.phone_numbers?.[0]?.phone_number).toBe('+1 555 0100');
    const old = h.fake.control.contact(ACCOUNT, String(obj(existing.body).contact_id));
    expect([old?.first_name, old?.last_name]).toEqual(['Renamed', 'Keep']);
    const out = h.fake.control.contactByEmail(ACCOUNT, 'out@example.com');
    expect(out?.email?.permission).toBe('unsubscribed');
    expect(out?.list_memberships ?? []).toEqual([]);
  });

  it('rejects more than 40,000 contacts and requires list_ids', async () => {
    const big = Array.from({ length: 40_001 }, (_, i) => ({ email: `b${i}@example.com` }));
    const res = await h.call('POST', '/v3/activities/contacts_json_import', {
      body: { list_ids: [list], import_data: big },
    });
    expect(res.status).toBe(400);
    expect(h.fake.control.contactByEmail(ACCOUNT, 'b0@example.com')).toBeUndefined();
    const noLists = await h.call('POST', '/v3/activities/contacts_json_import', {
      body: { import_data: [{ email: 'z@example.com' }] },
    });
    expect(noLists.status).toBe(400);
  });

  it('silently drops rows past 4 MB', async () => {
    const pad = 'p'.repeat(200);
    const rows = Array.from({ length: 25_000 }, (_, i) => ({
      email: `mb${i}@example.com`,
      'cf:Deal_Stage': pad,
    }));
    const res = await h.call('POST', '/v3/activities/contacts_json_import', {
      body: { list_ids: [list2], import_data: rows },
    });
    expect(res.status).toBe(201);
    const total = Number(obj(obj(res.body).status).items_total_count);
    expect(total).toBeGreaterThan(15_000);
    expect(total).toBeLessThan(25_000);
    expect(h.fake.control.contactByEmail(ACCOUNT, `mb${total - 1}@example.com`)).toBeDefined();
    expect(h.fake.control.contactByEmail(ACCOUNT, `mb${total}@example.com`)).toBeUndefined();
  });
});

describe('activity lifecycle', () => {
  it('goes initialized → processing → completed on the fake clock', async () => {
    h.fake.control.setActivityDelay(10_000);
    try {
      const res = await h.call('POST', '/v3/activities/contacts_json_import', {
        body: { list_ids: [list], import_data: [{ email: 'slow@example.com' }] },
      });
      const id = String(obj(res.body).activity_id);
      expect((await activity(id)).state).toBe('initialized');
      expect(h.fake.control.contactByEmail(ACCOUNT, 'slow@example.com')).toBeUndefined();
      h.fake.clock.advance(5_000);
      expect((await activity(id)).state).toBe('processing');
      h.fake.clock.advance(5_000);
      const done = await activity(id);
      expect(done.state).toBe('completed');
      expect(done.percent_done).toBe(100);
      expect(h.fake.control.contactByEmail(ACCOUNT, 'slow@example.com')).toBeDefined();
      const listed = arr(
        obj((await h.call('GET', '/v3/activities?state=completed')).body).activities,
      );
      expect(listed.map((a) => a.activity_id)).toContain(id);
    } finally {
      h.fake.control.setActivityDelay(0);
    }
  });

  it('caps an account at 1,000 queued activities with a 429 object', async () => {
    h.fake.control.setActivityDelay(60_000);
    try {
      const body = { list_ids: [list], import_data: [{ email: 'q@example.com' }] };
      for (let i = 0; i < 1000; i++) {
        const res = await h.fake.app.inject({
          method: 'POST',
          url: '/v3/activities/contacts_json_import',
          headers: { authorization: `Bearer ${h.token()}` },
          payload: body,
        });
        expect(res.statusCode).toBe(201);
      }
      const over = await h.call('POST', '/v3/activities/contacts_json_import', { body });
      expect(over.status).toBe(429);
      expect(obj(over.body).error_message).toContain('1,000 queued activities');
    } finally {
      h.fake.control.runActivities();
      h.fake.control.setActivityDelay(0);
    }
  });
});

describe('list memberships and deletes', () => {
  it('adds and removes memberships by contact_ids and revives deleted contacts on add', async () => {
    const ids: string[] = [];
    for (const e of ['m1@example.com', 'm2@example.com']) {
      const res = await h.call('POST', '/v3/contacts', {
        body: { email_address: { address: e }, create_source: 'Account' },
      });
      ids.push(String(obj(res.body).contact_id));
    }
    await h.call('DELETE', `/v3/contacts/${ids[1]}`);
    const add = await h.call('POST', '/v3/activities/add_list_memberships', {
      body: { source: { contact_ids: ids }, list_ids: [list2] },
    });
    expect(add.status).toBe(201);
    expect((await activity(String(obj(add.body).activity_id))).status).toMatchObject({
      items_completed_count: 2,
    });
    for (const id of ids) {
      expect(h.fake.control.contact(ACCOUNT, id)?.list_memberships).toContain(list2);
      expect(h.fake.control.contact(ACCOUNT, id)?.deletedAt).toBeUndefined();
    }
    await h.call('POST', '/v3/activities/remove_list_memberships', {
      body: { source: { contact_ids: [ids[0]] }, list_ids: [list2] },
    });
    expect(h.fake.control.contact(ACCOUNT, ids[0] ?? '')?.list_memberships).not.toContain(list2);
    expect(h.fake.control.contact(ACCOUNT, ids[1] ?? '')?.list_memberships).toContain(list2);
  });

  it('contact_delete soft-deletes by contact_ids and rejects both sources at once', async () => {
    const res = await h.call('POST', '/v3/contacts', {
      body: { email_address: { address: 'bd@example.com' }, create_source: 'Account' },
    });
    const id = String(obj(res.body).contact_id);
    expect(
      (
        await h.call('POST', '/v3/activities/contact_delete', {
          body: { contact_ids: [id], list_ids: [list] },
        })
      ).status,
    ).toBe(400);
    const del = await h.call('POST', '/v3/activities/contact_delete', {
      body: { contact_ids: [id] },
    });
    expect(del.status).toBe(201);
    expect(h.fake.control.contact(ACCOUNT, id)?.deletedAt).toBeDefined();
  });

  it('deleting a list answers 202 with an activity and removes it from members', async () => {
    const l = String(
      obj((await h.call('POST', '/v3/contact_lists', { body: { name: 'Doomed' } })).body).list_id,
    );
    const c = await h.call('POST', '/v3/contacts', {
      body: {
        email_address: { address: 'doomed@example.com' },
        create_source: 'Account',
        list_memberships: [l],
      },
    });
    const del = await h.call('DELETE', `/v3/contact_lists/${l}`);
    expect(del.status).toBe(202);
    expect(del.headers.get('location')).toMatch(/^\/v3\/activities\//);
    expect(
      h.fake.control.contact(ACCOUNT, String(obj(c.body).contact_id))?.list_memberships,
    ).toEqual([]);
    const active = arr(obj((await h.call('GET', '/v3/contact_lists')).body).lists).map(
      (x) => x.name,
    );
    expect(active).not.toContain('Doomed');
    const deleted = arr(
      obj((await h.call('GET', '/v3/contact_lists?status=deleted')).body).lists,
    ).map((x) => x.name);
    expect(deleted).toContain('Doomed');
  });
});

describe('lists and custom fields', () => {
  it('enforces unique list names (409) and the 1,000-list cap', async () => {
    expect((await h.call('POST', '/v3/contact_lists', { body: { name: 'Import' } })).status).toBe(
      409,
    );
    const account = h.fake.store.account(ACCOUNT);
    for (let i = account.activeLists().length; i < 1000; i++) {
      account.lists.set(`filler-${i}`, {
        list_id: `filler-${i}`,
        name: `F${i}`,
        favorite: false,
        createdAt: 0,
        updatedAt: 0,
      });
    }
    expect(
      (await h.call('POST', '/v3/contact_lists', { body: { name: 'One too many' } })).status,
    ).toBe(400);
    for (const id of [...account.lists.keys()])
      if (id.startsWith('filler-')) account.lists.delete(id);
  });

  it('reports membership counts', async () => {
    const res = await h.call('GET', `/v3/contact_lists/${list}?include_membership_count=all`);
    const expected = h.fake.store
      .account(ACCOUNT)
      .order.filter((c) => c.deletedAt === undefined && c.list_memberships?.includes(list)).length;
    expect(obj(res.body).membership_count).toBe(expected);
    expect(expected).toBeGreaterThan(0);
  });

  it('enforces unique labels (409), derives name from label, caps at 100', async () => {
    const dup = await h.call('POST', '/v3/contact_custom_fields', {
      body: { label: 'Deal Stage', type: 'string' },
    });
    expect(dup.status).toBe(409);
    const made = obj(
      (
        await h.call('POST', '/v3/contact_custom_fields', {
          body: { label: 'Lead Score', type: 'number' },
        })
      ).body,
    );
    expect(made.name).toBe('Lead_Score');
    for (let i = h.fake.store.account(ACCOUNT).customFields.size; i < 100; i++) {
      expect(
        (
          await h.call('POST', '/v3/contact_custom_fields', {
            body: { label: `F ${i}`, type: 'string' },
          })
        ).status,
      ).toBe(201);
    }
    expect(
      (
        await h.call('POST', '/v3/contact_custom_fields', {
          body: { label: 'F 101', type: 'string' },
        })
      ).status,
    ).toBe(400);
    const page = obj((await h.call('GET', '/v3/contact_custom_fields?limit=100')).body);
    expect(arr(page.custom_fields).length).toBe(100);
  });
});

describe('tags', () => {
  it('creates unique tags, tags contacts in bulk, validates taggings, and deletes tags from contacts', async () => {
    const tag = obj((await h.call('POST', '/v3/contact_tags', { body: { name: 'VIP' } })).body);
    expect((await h.call('POST', '/v3/contact_tags', { body: { name: 'VIP' } })).status).toBe(409);
    const made = await h.call('POST', '/v3/contacts', {
      body: { email_address: { address: 'tagged@example.com' }, create_source: 'Account' },
    });
    const id = String(obj(made.body).contact_id);
    const bad = await h.call('PUT', `/v3/contacts/${id}`, {
      body: {
        email_address: { address: 'tagged@example.com' },
        update_source: 'Account',
        taggings: ['00000000-0000-4000-8000-000000000000'],
      },
    });
    expect(bad.status).toBe(400);
    await h.call('POST', '/v3/activities/contacts_taggings_add', {
      body: { source: { contact_ids: [id] }, tag_ids: [tag.tag_id] },
    });
    expect(h.fake.control.contact(ACCOUNT, id)?.taggings).toEqual([tag.tag_id]);
    const counted = obj(
      (await h.call('GET', `/v3/contact_tags/${tag.tag_id}?include_count=true`)).body,
    );
    expect(counted.contacts_count).toBe(1);
    expect((await h.call('DELETE', `/v3/contact_tags/${tag.tag_id}`)).status).toBe(202);
    expect(h.fake.control.contact(ACCOUNT, id)?.taggings).toEqual([]);
    expect((await h.call('GET', `/v3/contact_tags/${tag.tag_id}`)).status).toBe(404);
  });
});

describe('contact exports', () => {
  const resultsOf = async (activityId: unknown) =>
    String(obj(obj((await activity(String(activityId)))._links).results).href);

  it('exports the selected contacts and fields as CSV through the activity results link', async () => {
    const made = await h.call('POST', '/v3/contacts', {
      body: {
        email_address: { address: 'export.me@example.com' },
        first_name: 'Ex "Q"',
        create_source: 'Account',
        list_memberships: [list2],
      },
    });
    const id = String(obj(made.body).contact_id);
    const res = await h.call('POST', '/v3/activities/contact_exports', {
      body: { contact_ids: [id], fields: ['email_address', 'first_name', 'email_lists'] },
    });
    expect(res.status).toBe(201);
    const href = await resultsOf(obj(res.body).activity_id);
    expect(href).toMatch(/^\/v3\/contact_exports\//);
    const csv = await h.call('GET', href);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const [header, row, end] = String(csv.body).split('\n');
    expect(header?.startsWith('email_address,first_name,email_lists,cf:Deal_Stage')).toBe(true);
    expect(row?.startsWith('export.me@example.com,"Ex ""Q""",Other')).toBe(true);
    expect(end).toBe('');
    h.fake.control.setBehaviour({ exportContactId: true });
    const again = await h.call('POST', '/v3/activities/contact_exports', {
      body: { contact_ids: [id], fields: ['email_address'] },
    });
    h.fake.control.setBehaviour({ exportContactId: false });
    const withId = String((await h.call('GET', await resultsOf(obj(again.body).activity_id))).body);
    expect(withId.split('\n')[1]?.startsWith(`${id},export.me@example.com`)).toBe(true);
  });

  it('filters by status: removed exports deleted contacts only', async () => {
    const res = await h.call('POST', '/v3/activities/contact_exports', {
      body: { status: 'removed', fields: ['email_address'] },
    });
    const csv = String((await h.call('GET', await resultsOf(obj(res.body).activity_id))).body);
    const emails = csv
      .trim()
      .split('\n')
      .slice(1)
      .map((r) => r.split(',')[0]);
    const deleted = h.fake.store
      .account(ACCOUNT)
      .order.filter((c) => c.deletedAt !== undefined)
      .map((c) => c.email?.address);
    expect(emails.length).toBeGreaterThan(0);
    expect(emails.sort()).toEqual(deleted.sort());
  });
});
