/**
 * Drives every endpoint the app uses through the official `pipedrive` npm client (v33.7.0),
 * with the assertions a client makes: paging to the end, create then read back, errors.
 */
import * as v1 from 'pipedrive/v1';
import {
  ActivitiesApi,
  Configuration,
  OAuth2Configuration,
  OrganizationsApi,
  PersonFieldsApi,
  PersonsApi,
} from 'pipedrive/v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoFieldKeys } from './demo.ts';
import { APP, type Started, startFake } from './harness.ts';

let s: Started;
let v2cfg: Configuration;
let v1cfg: v1.Configuration;

beforeAll(async () => {
  s = await startFake({ rateLimits: { enabled: false } });
  v2cfg = new Configuration({ accessToken: async () => s.token, basePath: `${s.baseUrl}/api/v2` });
  v1cfg = new v1.Configuration({
    accessToken: async () => s.token,
    basePath: `${s.baseUrl}/api/v1`,
  });
});
afterAll(() => s.fake.close());

/** What the SDK rejects with: the response body, not an Error (reference 9.6). */
async function rejection(p: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await p;
  } catch (err) {
    return err as Record<string, unknown>;
  }
  throw new Error('expected the call to fail');
}

describe('official pipedrive client against the fake', () => {
  it('OAuth2Configuration: code exchange, api_domain, refresh', async () => {
    // A second user installs, so the harness token of the admin's install stays valid.
    const user = [...s.fake.control.company(s.companyId).users.values()].find((u) => !u.isAdmin);
    s.fake.control.setAuthorizeDecision({
      decision: 'approve',
      companyId: s.companyId,
      userId: user?.id ?? 0,
    });
    const res = await fetch(
      `${s.baseUrl}/oauth/authorize?client_id=${APP.clientId}&redirect_uri=${encodeURIComponent(APP.redirectUri)}&state=s1`,
      { redirect: 'manual' },
    );
    const code = new URL(res.headers.get('location') ?? '').searchParams.get('code') ?? '';
    const oauth2 = new OAuth2Configuration({ ...APP, host: s.baseUrl });
    const token = await oauth2.authorize(code);
    expect(token.api_domain).toBe(s.baseUrl);
    expect(oauth2.basePath).toBe(`${s.baseUrl}/api/v2`);
    // The SDK's typings do not accept OAuth2Configuration where Configuration is expected,
    // although it works at runtime (its README shows exactly this use).
    const persons = await new PersonsApi(oauth2 as unknown as Configuration).getPersons({
      limit: 1,
    });
    expect(persons.data?.[0]?.id).toBe(1);
    const refreshed = await oauth2.tokenRefresh();
    expect(refreshed.refresh_token).toBe(token.refresh_token);
    expect(refreshed.access_token).not.toBe(token.access_token);
  });

  it('users/me identifies the install', async () => {
    const me = await new v1.UsersApi(v1cfg).getCurrentUser();
    expect(me.data?.company_id).toBe(s.companyId);
    expect(me.data?.id).toBe([...s.fake.control.company(s.companyId).users.values()][0]?.id);
    const users = await new v1.UsersApi(v1cfg).getUsers();
    expect(users.data?.length).toBe(s.fake.control.company(s.companyId).users.size);
  });

  it('pages through every person with the cursor, by id and by update_time', async () => {
    const api = new PersonsApi(v2cfg);
    const live = [...s.fake.control.company(s.companyId).persons.values()].filter(
      (p) => !p.is_deleted,
    ).length;
    for (const sort_by of ['id', 'update_time'] as const) {
      const seen: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await api.getPersons({ limit: 37, sort_by, ...(cursor ? { cursor } : {}) });
        for (const p of page.data ?? []) seen.push(p.id ?? -1);
        cursor = page.additional_data?.next_cursor ?? undefined;
      } while (cursor);
      expect(new Set(seen).size).toBe(live);
      expect(seen.length).toBe(live);
    }
  });

  it('creates, reads back, updates custom fields, searches and deletes a person', async () => {
    const api = new PersonsApi(v2cfg);
    const keys = demoFieldKeys(s.fake.control.company(s.companyId));
    const created = await api.addPerson({
      AddPersonRequest: {
        name: 'Sdk Person',
        emails: [{ value: 'sdk.person@example.com', primary: true, label: 'work' }],
        custom_fields: { [keys.source]: 'SDK' },
      },
    });
    const id = created.data?.id ?? 0;
    const read = await api.getPerson({ id });
    expect(read.data?.emails?.[0]?.value).toBe('sdk.person@example.com');
    expect(read.data?.custom_fields).toHaveProperty(keys.source, 'SDK');
    await api.updatePerson({
      id,
      UpdatePersonRequest: { name: 'Sdk Renamed', custom_fields: { [keys.source]: null } },
    });
    const after = await api.getPerson({ id });
    expect(after.data?.first_name).toBe('Sdk');
    expect(after.data?.last_name).toBe('Renamed');
    expect(after.data?.custom_fields).not.toHaveProperty(keys.source);
    const found = await api.searchPersons({
      term: 'SDK.PERSON@example.com',
      fields: 'email',
      exact_match: true,
    });
    expect(found.data?.items?.map((i) => i.item?.id)).toEqual([id]);
    await api.deletePerson({ id });
    const err = await rejection(api.getPerson({ id }));
    expect(err.success).toBe(false);
    const again = await api.searchPersons({
      term: 'sdk.person@example.com',
      fields: 'email',
      exact_match: true,
    });
    expect(again.data?.items).toEqual([]);
  });

  it('rejects v2 type coercion with the error envelope', async () => {
    const err = await rejection(
      new PersonsApi(v2cfg).addPerson({
        AddPersonRequest: { name: 'X', owner_id: '1' as unknown as number },
      }),
    );
    expect(err).toMatchObject({ success: false, error: expect.stringContaining('owner_id') });
  });

  it('merges two persons through v1', async () => {
    const api = new PersonsApi(v2cfg);
    const a = await api.addPerson({
      AddPersonRequest: { name: 'Dup One', emails: [{ value: 'dup1@example.com' }] },
    });
    const b = await api.addPerson({
      AddPersonRequest: { name: 'Dup Two', emails: [{ value: 'dup2@example.com' }] },
    });
    const merged = await new v1.PersonsApi(v1cfg).mergePersons({
      id: a.data?.id ?? 0,
      MergePersonsRequest: { merge_with_id: b.data?.id ?? 0 },
    });
    expect(merged.data?.id).toBe(b.data?.id);
    const survivor = await api.getPerson({ id: b.data?.id ?? 0 });
    expect(survivor.data?.emails?.map((e) => e.value).sort()).toEqual([
      'dup1@example.com',
      'dup2@example.com',
    ]);
    expect((await rejection(api.getPerson({ id: a.data?.id ?? 0 }))).success).toBe(false);
  });

  it('reads person fields (v1 and v2), organizations and filters, and lists filter members', async () => {
    const v1Fields = await new v1.PersonFieldsApi(v1cfg).getPersonFields({ limit: 500 });
    const v2Fields = await new PersonFieldsApi(v2cfg).getPersonFields({ limit: 500 });
    expect(v1Fields.data?.map((f) => f.key)).toEqual(v2Fields.data?.map((f) => f.field_code));
    const enumField = v2Fields.data?.find((f) => f.field_name === 'Newsletter');
    expect(enumField?.options?.length).toBe(2);
    const orgs = await new OrganizationsApi(v2cfg).getOrganizations({ limit: 500 });
    expect(orgs.data?.length).toBe(s.fake.control.company(s.companyId).orgs.size);
    const filters = await new v1.FiltersApi(v1cfg).getFilters({ type: 'people' });
    const hasEmail = filters.data?.find((f) => f.name === 'Has email');
    const detail = await new v1.FiltersApi(v1cfg).getFilter({ id: hasEmail?.id ?? 0 });
    expect(detail.data?.conditions).toBeTruthy();
    const members = await new PersonsApi(v2cfg).getPersons({
      filter_id: hasEmail?.id ?? 0,
      limit: 500,
    });
    expect(members.data?.length).toBeGreaterThan(0);
    expect(members.data?.every((p) => (p.emails?.length ?? 0) > 0)).toBe(true);
  });

  it('manages webhooks, activity types, activities and notes', async () => {
    const hooks = new v1.WebhooksApi(v1cfg);
    const w = await hooks.addWebhook({
      AddWebhookRequest: {
        subscription_url: 'https://example.com/h',
        event_action: '*',
        event_object: 'person',
        name: 'sdk',
        version: '2.0',
      },
    });
    expect((await hooks.getWebhooks()).data?.map((x) => x.id)).toContain(w.data?.id);
    await hooks.deleteWebhook({ id: w.data?.id ?? 0 });
    expect((await hooks.getWebhooks()).data?.map((x) => x.id)).not.toContain(w.data?.id);

    const types = new v1.ActivityTypesApi(v1cfg);
    const t = await types.addActivityType({
      AddActivityTypeRequest: { name: 'CC: Email open', icon_key: 'email' },
    });
    expect(t.data?.key_string).toBe('cc_email_open');
    expect((await types.getActivityTypes()).data?.map((x) => x.key_string)).toContain(
      'cc_email_open',
    );

    const acts = new ActivitiesApi(v2cfg);
    const a = await acts.addActivity({
      AddActivityRequest: {
        subject: 'Opened newsletter',
        type: 'cc_email_open',
        done: true,
        participants: [{ person_id: 3, primary: true }],
      },
    });
    expect(a.data?.person_id).toBe(3);
    await acts.updateActivity({ id: a.data?.id ?? 0, AddActivityRequest: { note: 'twice' } });
    expect((await acts.getActivity({ id: a.data?.id ?? 0 })).data?.note).toBe('twice');
    expect((await acts.getActivities({ person_id: 3 })).data?.map((x) => x.id)).toContain(
      a.data?.id,
    );

    const notes = new v1.NotesApi(v1cfg);
    const n = await notes.addNote({
      AddNoteRequest: { content: 'Unsubscribed via Constant Contact', person_id: 3 },
    });
    expect(n.data?.person_id).toBe(3);
    expect((await notes.getNotes({ person_id: 3 })).data?.map((x) => x.content)).toContain(
      'Unsubscribed via Constant Contact',
    );
  });
});
