/**
 * Person semantics (reference 4): v2 validation, list parameters, soft delete, search, the
 * UNCONFIRMED switches, and the demo population.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClock } from '../shared/clock.ts';
import { demoPerson } from '../shared/people.ts';
import { DEMO_SEED, demoFieldKeys } from './demo.ts';
import { list, type Started, startFake } from './harness.ts';

let s: Started;
const clock = createClock();
let keys: ReturnType<typeof demoFieldKeys>;

beforeAll(async () => {
  clock.set(Date.UTC(2026, 4, 1, 8));
  s = await startFake({ clock, rateLimits: { enabled: false } });
  keys = demoFieldKeys(s.fake.control.company(s.companyId));
});
afterAll(() => s.fake.close());

const create = (body: unknown) => s.call('POST', '/api/v2/persons', body);

describe('v2 validation', () => {
  it.each([
    [{}, 'name'],
    [{ first_name: 'Only' }, 'last_name'],
    [{ first_name: '', last_name: '' }, 'empty'],
    [{ name: 'X', visible_to: '3' }, 'visible_to'],
    [{ name: 'X', emails: 'a@b.c' }, 'emails'],
    [
      {
        name: 'X',
        emails: [
          { value: 'a@b.c', primary: true },
          { value: 'd@e.f', primary: true },
        ],
      },
      'primary',
    ],
    [{ name: 'X', emails: [{ value: 'a@b.c', primary: 1 }] }, 'primary'],
    [{ name: 'X', unknown_key: 1 }, 'unknown_key'],
    [{ name: 'X', custom_fields: { deadbeef: 'x' } }, 'deadbeef'],
  ])('rejects %j', async (body, word) => {
    const before = s.fake.control.company(s.companyId).persons.size;
    const res = await create(body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ success: false, data: null, additional_data: null });
    expect(String(res.body.error)).toContain(word);
    expect(s.fake.control.company(s.companyId).persons.size).toBe(before);
  });

  it('checks custom field types: enum ids as numbers, set arrays non-empty, null clears', async () => {
    const company = s.fake.control.company(s.companyId);
    const yes = company.personField(keys.newsletter)?.options?.[0]?.id ?? 0;
    const events = company.personField(keys.interests)?.options?.map((o) => o.id) ?? [];
    expect(
      (await create({ name: 'E', custom_fields: { [keys.newsletter]: String(yes) } })).status,
    ).toBe(400);
    expect((await create({ name: 'E', custom_fields: { [keys.interests]: [] } })).status).toBe(400);
    expect(
      (await create({ name: 'E', custom_fields: { [keys.lifetimeValue]: '12' } })).status,
    ).toBe(400);
    const ok = await create({
      name: 'Typed',
      custom_fields: {
        [keys.newsletter]: yes,
        [keys.interests]: events.slice(0, 2),
        [keys.lifetimeValue]: 12.5,
      },
    });
    expect(ok.status).toBe(200);
    const id = Number(ok.body.data.id);
    const labelled = await s.call('GET', `/api/v2/persons/${id}?include_option_labels=true`);
    expect(labelled.body.data.custom_fields[keys.newsletter]).toEqual({ id: yes, label: 'Yes' });
    await s.call('PATCH', `/api/v2/persons/${id}`, { custom_fields: { [keys.interests]: null } });
    expect(company.persons.get(id)?.custom_fields).not.toHaveProperty(keys.interests);
  });

  it('derives names both ways and makes the first email primary', async () => {
    const a = await create({
      name: 'Mary Ann Smith',
      emails: [{ value: 'm@example.com' }, { value: 'n@example.com' }],
    });
    expect(a.body.data).toMatchObject({ first_name: 'Mary', last_name: 'Ann Smith' });
    expect(list(a.body.data.emails).map((e) => e.primary)).toEqual([true, false]);
    const b = await create({ first_name: 'Jo', last_name: 'Park' });
    expect(b.body.data.name).toBe('Jo Park');
  });

  it('PATCH replaces the whole email list by default and merges when switched', async () => {
    const p = await create({ name: 'Lists', emails: [{ value: 'one@example.com' }] });
    const id = Number(p.body.data.id);
    await s.call('PATCH', `/api/v2/persons/${id}`, { emails: [{ value: 'two@example.com' }] });
    expect(
      s.fake.control
        .company(s.companyId)
        .persons.get(id)
        ?.emails.map((e) => e.value),
    ).toEqual(['two@example.com']);
    s.fake.control.setBehaviour({ patchContacts: 'merge' });
    await s.call('PATCH', `/api/v2/persons/${id}`, { emails: [{ value: 'three@example.com' }] });
    s.fake.control.setBehaviour({ patchContacts: 'replace' });
    expect(
      s.fake.control
        .company(s.companyId)
        .persons.get(id)
        ?.emails.map((e) => e.value),
    ).toEqual(['two@example.com', 'three@example.com']);
  });
});

describe('listing and search', () => {
  it('honours updated_since (inclusive) and updated_until (exclusive)', async () => {
    clock.advance(60_000);
    const t = new Date(clock.now()).toISOString();
    const p = await create({ name: 'Window Person' });
    const id = Number(p.body.data.id);
    const since = await s.call('GET', `/api/v2/persons?updated_since=${t}&sort_by=update_time`);
    expect(list(since.body.data).map((x) => Number(x.id))).toEqual([id]);
    const until = await s.call(
      'GET',
      `/api/v2/persons?updated_until=${t}&limit=500&sort_by=update_time&sort_direction=desc`,
    );
    expect(list(until.body.data).map((x) => Number(x.id))).not.toContain(id);
  });

  it('limits limit, ids and custom_fields and returns only the asked custom fields', async () => {
    expect((await s.call('GET', '/api/v2/persons?limit=501')).status).toBe(400);
    const ids = Array.from({ length: 101 }, (_, i) => i + 1).join(',');
    expect((await s.call('GET', `/api/v2/persons?ids=${ids}`)).status).toBe(400);
    const some = await s.call('GET', '/api/v2/persons?ids=3,1,999999');
    expect(list(some.body.data).map((x) => Number(x.id))).toEqual([1, 3]);
    const narrow = await s.call('GET', `/api/v2/persons?ids=1&custom_fields=${keys.source}`);
    expect(Object.keys(list(narrow.body.data)[0]?.custom_fields ?? {})).toEqual([keys.source]);
  });

  it('soft-deletes: gone from list and search, 404 by default, is_deleted when switched, purged after 30 days', async () => {
    const p = await create({ name: 'Soft Delete', emails: [{ value: 'soft@example.com' }] });
    const id = Number(p.body.data.id);
    await s.call('DELETE', `/api/v2/persons/${id}`);
    expect((await s.call('GET', `/api/v2/persons/${id}`)).status).toBe(404);
    s.fake.control.setBehaviour({ deletedPersonGet: 'is_deleted' });
    expect((await s.call('GET', `/api/v2/persons/${id}`)).body.data.is_deleted).toBe(true);
    s.fake.control.setBehaviour({ deletedPersonGet: '404' });
    const search = await s.call(
      'GET',
      '/api/v2/persons/search?term=soft@example.com&fields=email&exact_match=true',
    );
    expect(search.body.data.items).toEqual([]);
    expect((await s.call('PATCH', `/api/v2/persons/${id}`, { name: 'Zombie' })).status).toBe(404);
    const company = s.fake.control.company(s.companyId);
    expect(company.persons.has(id)).toBe(true);
    clock.advance(31 * 86_400_000);
    expect(s.fake.control.purgeDeleted()).toBeGreaterThanOrEqual(1);
    expect(company.persons.has(id)).toBe(false);
    s.fake.control.reset();
    clock.set(Date.UTC(2026, 4, 1, 8));
    s.token = s.fake.control.mintToken({ companyId: s.companyId }).access_token;
    keys = demoFieldKeys(s.fake.control.company(s.companyId));
  });

  it('finds duplicate emails and hides fresh writes during a configured index lag', async () => {
    const dup = demoPerson(23).email; // demo index 24 reuses index 23's email
    const found = await s.call(
      'GET',
      `/api/v2/persons/search?term=${dup}&fields=email&exact_match=true`,
    );
    expect(list(found.body.data.items).map((i) => Number(i.item.id)).length).toBe(2);
    s.fake.control.setBehaviour({ searchLagMs: 5000 });
    await create({ name: 'Lagging', emails: [{ value: 'lag@example.com' }] });
    const q = '/api/v2/persons/search?term=lag@example.com&fields=email&exact_match=true';
    expect((await s.call('GET', q)).body.data.items).toEqual([]);
    clock.advance(5001);
    expect(list((await s.call('GET', q)).body.data.items)).toHaveLength(1);
    s.fake.control.setBehaviour({ searchLagMs: 0 });
    expect((await s.call('GET', '/api/v2/persons/search?term=a')).status).toBe(400);
  });
});

describe('demo data', () => {
  it('is deterministic and has persons without email, with several emails and option custom fields', () => {
    const one = s.fake.control.company(s.companyId);
    const persons = [...one.persons.values()].slice(0, DEMO_SEED.companies[0]?.persons ?? 0);
    expect(persons.filter((p) => p.emails.length === 0).length).toBeGreaterThan(5);
    expect(persons.filter((p) => p.emails.length > 1).length).toBeGreaterThan(5);
    expect(
      persons.filter((p) => Array.isArray(p.custom_fields[keys.interests])).length,
    ).toBeGreaterThan(5);
    expect(persons[0]?.emails[0]?.value).toBe(demoPerson(0).email);
    expect(s.fake.control.company(2).persons.get(201)?.emails[0]?.value).toBe(
      demoPerson(10_000).email,
    );
  });
});
