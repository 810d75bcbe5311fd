/**
 * Every response body the fake returns for the endpoints the app uses, validated against the
 * vendor's OpenAPI schemas (see spec-validator.ts for the two documented relaxations).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoFieldKeys } from './demo.ts';
import { list, type Started, startFake } from './harness.ts';
import { loadSpecValidator, type SpecValidator } from './spec-validator.ts';

let s: Started;
let spec: SpecValidator;

beforeAll(async () => {
  spec = loadSpecValidator();
  s = await startFake({ rateLimits: { enabled: false } });
}, 60_000);
afterAll(() => s.fake.close());

async function check(
  version: 'v1' | 'v2',
  method: string,
  template: string,
  path: string,
  body?: unknown,
) {
  const prefix = version === 'v1' ? '/v1' : '/api/v2';
  const res = await s.call(method, `${prefix}${path}`, body);
  const errors = spec.validate(version, method, template, res.status, res.body);
  expect(
    errors,
    `${method} ${path} → ${res.status} ${JSON.stringify(res.body).slice(0, 400)}`,
  ).toEqual([]);
  return res;
}

describe('conformance with the vendor OpenAPI schemas', () => {
  it('the validator itself rejects wrong shapes', () => {
    const person = { success: true, data: { id: '1', name: 'X', emails: [{ value: 1 }] } };
    expect(spec.validate('v2', 'GET', '/persons/{id}', 200, person).length).toBeGreaterThan(0);
    expect(spec.validate('v2', 'GET', '/persons/{id}', 418, {})).toEqual([
      'spec declares no 418 response for v2 GET /persons/{id}',
    ]);
  });

  it('users', async () => {
    const me = await check('v1', 'GET', '/users/me', '/users/me');
    expect(me.body.data.company_id).toBe(s.companyId);
    await check('v1', 'GET', '/users', '/users');
    const anon = await s.call('GET', '/v1/users/me', undefined, '');
    expect(anon.status).toBe(401);
    expect(spec.validate('v1', 'GET', '/users/me', 401, anon.body)).toEqual([]);
  });

  it('persons: list, get, create, patch, search, delete', async () => {
    const keys = demoFieldKeys(s.fake.control.company(s.companyId));
    const page = await check('v2', 'GET', '/persons', '/persons', undefined);
    expect(list(page.body.data)).toHaveLength(100);
    await check(
      'v2',
      'GET',
      '/persons',
      `/persons?limit=500&sort_by=update_time&include_option_labels=true&custom_fields=${keys.newsletter},${keys.interests}`,
    );
    await check('v2', 'GET', '/persons/{id}', '/persons/1');
    const created = await check('v2', 'POST', '/persons', '/persons', {
      name: 'Conformance Person',
      emails: [{ value: 'conf@example.com', primary: true, label: 'work' }],
      custom_fields: { [keys.source]: 'Conformance' },
    });
    const id = Number(created.body.data.id);
    await check('v2', 'PATCH', '/persons/{id}', `/persons/${id}`, {
      phones: [{ value: '+372 5555' }],
    });
    await check(
      'v2',
      'GET',
      '/persons/search',
      '/persons/search?term=conf@example.com&fields=email&exact_match=true',
    );
    await check('v2', 'GET', '/persons/search', '/persons/search?term=Conformance');
    const other = await s.call('POST', '/api/v2/persons', { name: 'Merge Target' });
    await check('v1', 'PUT', '/persons/{id}/merge', `/persons/${id}/merge`, {
      merge_with_id: other.body.data.id,
    });
    await check('v2', 'DELETE', '/persons/{id}', `/persons/${Number(other.body.data.id)}`);
  });

  it('person and organization fields, v1 and v2', async () => {
    await check('v1', 'GET', '/personFields', '/personFields');
    await check('v1', 'GET', '/organizationFields', '/organizationFields');
    await check(
      'v2',
      'GET',
      '/personFields',
      '/personFields?include_fields=ui_visibility,important_fields,required_fields',
    );
    await check('v2', 'GET', '/organizationFields', '/organizationFields');
    await check('v2', 'GET', '/personFields/{field_code}', '/personFields/name');
    await check('v1', 'POST', '/personFields', '/personFields', {
      name: 'CC status',
      field_type: 'enum',
      options: [{ label: 'Active' }],
    });
    await check('v2', 'POST', '/personFields', '/personFields', {
      field_name: 'CC list',
      field_type: 'varchar',
    });
  });

  it('organizations', async () => {
    await check('v2', 'GET', '/organizations', '/organizations');
    await check('v2', 'GET', '/organizations/{id}', '/organizations/1');
  });

  it('filters', async () => {
    const filters = await check('v1', 'GET', '/filters', '/filters?type=people');
    const id = Number(list(filters.body.data)[0]?.id);
    await check('v1', 'GET', '/filters/{id}', `/filters/${id}?include_field_code=true`);
    await check('v2', 'GET', '/persons', `/persons?filter_id=${id}`);
  });

  it('webhooks', async () => {
    const created = await check('v1', 'POST', '/webhooks', '/webhooks', {
      subscription_url: 'https://example.com/hooks',
      event_action: '*',
      event_object: 'person',
      name: 'sync',
      http_auth_user: 'u',
      http_auth_password: 'p',
      version: '2.0',
    });
    expect(created.status).toBe(201);
    await check('v1', 'GET', '/webhooks', '/webhooks');
    await check('v1', 'DELETE', '/webhooks/{id}', `/webhooks/${Number(created.body.data.id)}`);
    const bad = await check('v1', 'POST', '/webhooks', '/webhooks', {
      subscription_url: 'not a url',
      event_action: '*',
      event_object: 'person',
    });
    expect(bad.status).toBe(400);
  });

  it('activity types, activities and notes', async () => {
    await check('v1', 'GET', '/activityTypes', '/activityTypes');
    await check('v1', 'POST', '/activityTypes', '/activityTypes', {
      name: 'CC email opened',
      icon_key: 'email',
      color: '00FF00',
    });
    const a = await check('v2', 'POST', '/activities', '/activities', {
      subject: 'Opened campaign',
      type: 'email',
      done: true,
      due_date: '2026-01-01',
      participants: [{ person_id: 1, primary: true }],
    });
    const id = Number(a.body.data.id);
    await check('v2', 'GET', '/activities/{id}', `/activities/${id}`);
    await check('v2', 'PATCH', '/activities/{id}', `/activities/${id}`, { note: 'clicked twice' });
    await check('v2', 'GET', '/activities', '/activities?person_id=1');
    await check('v2', 'DELETE', '/activities/{id}', `/activities/${id}`);
    expect((await s.call('GET', `/api/v2/activities/${id}`)).status).toBe(404);
    await check('v1', 'POST', '/notes', '/notes', {
      content: '<p>Unsubscribed in CC</p>',
      person_id: 1,
    });
    await check('v1', 'GET', '/notes', '/notes?person_id=1');
  });
});
