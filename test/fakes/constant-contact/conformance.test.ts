/**
 * Conformance: every `/v3` route the fake registers is called (success and error statuses) on
 * the demo data, and the harness validates each response against the SPEC. The validator itself
 * is tested first, so a green sweep means something.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPerson } from '../shared/people.ts';
import { DEMO_ACCOUNT_ID } from './demo.ts';
import { arr, type Harness, obj, startHarness } from './harness.ts';
import { convert, loadSpecValidator } from './spec.ts';

describe('SPEC validator', () => {
  const spec = loadSpecValidator();
  const contact = {
    contact_id: '1618ae62-4752-41e9-9c8a-fa163e6b01c1',
    email_address: { address: 'a@example.com', permission_to_send: 'implicit' },
    created_at: '2026-01-01T00:00:00.000Z',
  };

  it('accepts a conforming contact and rejects wrong types, formats and limits', () => {
    expect(spec.check('GET', '/v3/contacts/x', 200, contact)).toEqual([]);
    expect(
      spec.check('GET', '/v3/contacts/x', 200, { ...contact, contact_id: 'nope' }),
    ).not.toEqual([]);
    expect(
      spec.check('GET', '/v3/contacts/x', 200, { ...contact, first_name: 'x'.repeat(51) }),
    ).not.toEqual([]);
    expect(
      spec.check('GET', '/v3/contacts/x', 200, { ...contact, created_at: 'yesterday' }),
    ).not.toEqual([]);
    expect(
      spec.check('GET', '/v3/contacts/x', 200, { ...contact, deleted_at: '2026-01-01T00:00:00Z' }),
    ).not.toEqual([]);
  });

  it('tells the two error shapes apart', () => {
    const item = { error_key: 'k', error_message: 'm' };
    expect(spec.check('GET', '/v3/contacts/x', 404, [item])).toEqual([]);
    expect(spec.check('GET', '/v3/contacts/x', 404, item)).not.toEqual([]);
    expect(spec.check('GET', '/v3/contacts', 401, item)).toEqual([]);
    expect(spec.check('GET', '/v3/contacts', 401, [item])).not.toEqual([]);
    expect(spec.check('GET', '/v3/contacts', 429, [item])).not.toEqual([]);
  });

  it('flags undocumented paths and statuses, and maps x-nullable to null', () => {
    expect(spec.check('GET', '/v3/nowhere', 200, {})).not.toEqual([]);
    expect(spec.check('POST', '/v3/contacts', 299, {})).not.toEqual([]);
    expect(convert({ type: 'string', 'x-nullable': true })).toEqual({ type: ['string', 'null'] });
    expect(convert({ $ref: '#/definitions/Link' })).toEqual({ $ref: 'cc#/definitions/Link' });
  });
});

describe('route sweep on demo data', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ seed: 'demo' });
  });
  afterAll(() => h.close());

  it('calls every /v3 route; every response conforms to the SPEC', async () => {
    const all = ['contact_data', 'campaign_data', 'account_read', 'offline_access'];
    const token = h.token(DEMO_ACCOUNT_ID, undefined, all);
    const call = (method: string, path: string, body?: unknown) =>
      h.call(method, path, { token, body });
    const account = h.fake.store.account(DEMO_ACCOUNT_ID);
    const list = account.activeLists()[0]?.list_id ?? '';
    const field = [...account.customFields.values()][0]?.custom_field_id ?? '';
    const contact = account.findByEmail(demoPerson(0).email)?.contact_id ?? '';
    const campaign = [...account.campaigns.values()][0];
    const activity = campaign?.activityIds[0] ?? '';
    const missing = '00000000-0000-4000-8000-000000000000';

    await call('GET', '/v3/account/summary');
    await call(
      'GET',
      '/v3/contacts?status=all&include=custom_fields,list_memberships,phone_numbers,street_addresses,taggings,notes&limit=500&include_count=true',
    );
    await call('GET', '/v3/contacts?status=deleted&include=list_memberships');
    await call('GET', '/v3/contacts?status=bogus');
    await call('GET', '/v3/contacts/counts');
    await call(
      'GET',
      `/v3/contacts/${contact}?include=custom_fields,phone_numbers,street_addresses,list_memberships,notes`,
    );
    await call('GET', `/v3/contacts/${missing}`);
    const made = await call('POST', '/v3/contacts', {
      email_address: { address: 'sweep@example.com', permission_to_send: 'implicit' },
      first_name: 'Sweep',
      create_source: 'Account',
      birthday_month: 2,
      birthday_day: 3,
      anniversary: '2020-05-01',
      phone_numbers: [{ phone_number: '+1 555 0199', kind: 'mobile' }],
      street_addresses: [{ kind: 'work', street: '1 Main', city: 'Tartu', country: 'Estonia' }],
      custom_fields: [{ custom_field_id: field, value: 'x' }],
      list_memberships: [list],
      notes: [{ content: 'hello' }],
    });
    const id = String(obj(made.body).contact_id);
    await call('POST', '/v3/contacts', {
      email_address: { address: 'sweep@example.com' },
      create_source: 'Account',
    });
    await call('POST', '/v3/contacts', { first_name: 'no source' });
    await call('PUT', `/v3/contacts/${id}`, {
      email_address: { address: 'sweep@example.com' },
      update_source: 'Account',
      first_name: 'S',
    });
    await call('PUT', `/v3/contacts/${missing}`, { update_source: 'Account' });
    await call('POST', '/v3/contacts/sign_up_form', {
      email_address: 'sweep@example.com',
      list_memberships: [list],
    });
    await call('POST', '/v3/contacts/sign_up_form', {
      email_address: 'sweep2@example.com',
      list_memberships: [list],
    });
    await call('POST', '/v3/contacts/sign_up_form', { email_address: 'sweep3@example.com' });
    h.fake.control.unsubscribe(DEMO_ACCOUNT_ID, id);
    await call('PUT', `/v3/contacts/resubscribe/${id}`, { list_ids: [list] });
    await call('PUT', `/v3/contacts/resubscribe/${id}`, { list_ids: [list] });
    await call('DELETE', `/v3/contacts/${id}`);
    await call('DELETE', `/v3/contacts/${missing}`);

    await call(
      'GET',
      '/v3/contact_lists?include_count=true&include_membership_count=active&limit=2',
    );
    await call('GET', '/v3/contact_lists?status=all');
    const newList = obj(
      (
        await call('POST', '/v3/contact_lists', {
          name: 'Sweep list',
          favorite: true,
          description: 'd',
        })
      ).body,
    );
    await call('POST', '/v3/contact_lists', { name: 'Sweep list' });
    await call('GET', `/v3/contact_lists/${newList.list_id}?include_membership_count=all`);
    await call('GET', `/v3/contact_lists/${missing}`);
    await call('PUT', `/v3/contact_lists/${newList.list_id}`, { name: 'Sweep list 2' });
    await call('DELETE', `/v3/contact_lists/${newList.list_id}`);

    await call('GET', '/v3/contact_custom_fields?limit=1');
    const newField = obj(
      (await call('POST', '/v3/contact_custom_fields', { label: 'Sweep Field', type: 'string' }))
        .body,
    );
    await call('POST', '/v3/contact_custom_fields', { label: 'Sweep Field', type: 'string' });
    await call('GET', `/v3/contact_custom_fields/${newField.custom_field_id}`);
    await call('GET', `/v3/contact_custom_fields/${missing}`);
    await call('PUT', `/v3/contact_custom_fields/${newField.custom_field_id}`, {
      label: 'Sweep Field 2',
    });
    await call('DELETE', `/v3/contact_custom_fields/${newField.custom_field_id}`);

    const imp = obj(
      (
        await call('POST', '/v3/activities/contacts_json_import', {
          list_ids: [list],
          import_data: [{ email: 'imp@example.com', 'cf:Lead_Source': 'Web' }],
        })
      ).body,
    );
    await call('POST', '/v3/activities/contacts_json_import', { list_ids: [], import_data: [] });
    await call('POST', '/v3/activities/add_list_memberships', {
      source: { list_ids: [list] },
      list_ids: [list],
    });
    await call('POST', '/v3/activities/remove_list_memberships', {
      source: { all_active_contacts: true },
      list_ids: [list],
      exclude: { contact_ids: [contact] },
    });
    await call('POST', '/v3/activities/contact_delete', { list_ids: [list] });
    const exp = obj(
      (await call('POST', '/v3/activities/contact_exports', { list_ids: [list], status: 'active' }))
        .body,
    );
    await call('POST', '/v3/activities/contact_exports', { fields: ['nope'] });
    const expDone = obj((await call('GET', `/v3/activities/${exp.activity_id}`)).body);
    await call('GET', String(obj(obj(expDone._links).results).href));
    await call('GET', `/v3/contact_exports/${missing}`);
    await call('GET', '/v3/activities?limit=2');
    await call('GET', `/v3/activities/${imp.activity_id}`);
    await call('GET', `/v3/activities/${missing}`);

    const tag = obj(
      (await call('POST', '/v3/contact_tags', { name: 'Sweep tag', tag_source: 'Pipedrive' })).body,
    );
    await call('POST', '/v3/contact_tags', { name: 'Sweep tag' });
    await call('GET', '/v3/contact_tags?include_count=true');
    await call('GET', `/v3/contact_tags/${tag.tag_id}?include_count=true`);
    await call('GET', `/v3/contact_tags/${missing}`);
    await call('PUT', `/v3/contact_tags/${tag.tag_id}`, { name: 'Sweep tag 2' });
    await call('POST', '/v3/activities/contacts_taggings_add', {
      source: { contact_ids: [contact] },
      tag_ids: [tag.tag_id],
    });
    await call('POST', '/v3/activities/contacts_taggings_remove', {
      source: { tag_ids: [tag.tag_id] },
      tag_ids: [tag.tag_id],
    });
    await call('POST', '/v3/activities/contacts_tags_delete', { tag_ids: [tag.tag_id] });
    const tag2 = obj((await call('POST', '/v3/contact_tags', { name: 'Sweep tag 3' })).body);
    await call('DELETE', `/v3/contact_tags/${tag2.tag_id}`);

    await call('GET', '/v3/emails?limit=1');
    await call('GET', `/v3/emails/${campaign?.campaign_id}`);
    await call('GET', `/v3/emails/${missing}`);
    for (const kind of [
      'sends',
      'opens',
      'unique_opens',
      'didnotopens',
      'clicks',
      'forwards',
      'optouts',
      'bounces',
    ]) {
      await call('GET', `/v3/reports/email_reports/${activity}/tracking/${kind}?limit=5`);
    }
    await call('GET', `/v3/reports/email_reports/${missing}/tracking/opens`);
    await call(
      'GET',
      `/v3/reports/contact_reports/${contact}/activity_details?tracking_activities_list=em_sends,em_opens,em_clicks,em_bounces,em_optouts,em_forwards`,
    );
    await call('GET', `/v3/reports/contact_reports/${missing}/activity_details`);
    await call('GET', '/v3/reports/summary_reports/email_campaign_summaries?limit=2');
    const range = 'start=2026-01-01T00:00:00Z&end=2026-12-31T00:00:00Z';
    await call('GET', `/v3/reports/contact_reports/${contact}/activity_summary?${range}`);
    await call('GET', `/v3/reports/contact_reports/${contact}/activity_summary`);
    await call('GET', `/v3/reports/contact_reports/${contact}/open_and_click_rates?${range}`);
    const doomed = obj((await call('POST', '/v3/contact_lists', { name: 'Sweep doomed' })).body);
    await call('POST', '/v3/activities/list_delete', { list_ids: [doomed.list_id] });
    await call('POST', '/v3/activities/list_delete', { list_ids: [] });
    const doomedField = obj(
      (await call('POST', '/v3/contact_custom_fields', { label: 'Sweep doomed', type: 'string' }))
        .body,
    );
    await call('POST', '/v3/activities/custom_fields_delete', {
      custom_field_ids: [doomedField.custom_field_id],
    });
    await call('POST', '/v3/activities/custom_fields_delete', { custom_field_ids: [missing] });
    await h.call('GET', '/v3/contacts', { token: 'not-a-token' });

    // Coverage: every registered /v3 route was called at least once.
    const templates = h.fake.routes
      .filter((r) => r.url.startsWith('/v3/'))
      .map((r) => ({
        ...r,
        params: (r.url.match(/:/g) ?? []).length,
        re: new RegExp(`^${r.url.replace(/:[^/]+/g, '[^/]+')}$`),
      }))
      .sort((a, b) => a.params - b.params);
    const hit = new Set<string>();
    for (const entry of h.fake.log.all()) {
      const t = templates.find((x) => x.method === entry.method && x.re.test(entry.path));
      if (t) hit.add(`${t.method} ${t.url}`);
    }
    const unhit = templates.map((t) => `${t.method} ${t.url}`).filter((k) => !hit.has(k));
    expect(unhit).toEqual([]);
    expect(templates.length).toBeGreaterThanOrEqual(30);
    const statuses = new Set(h.fake.log.all().map((e) => e.status));
    for (const s of [200, 201, 202, 204, 400, 401, 404, 409]) expect(statuses).toContain(s);
    expect(
      arr(obj((await call('GET', '/v3/contacts?status=all&limit=1')).body).contacts).length,
    ).toBe(1);
  });
});
