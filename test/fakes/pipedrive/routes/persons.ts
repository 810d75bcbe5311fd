/**
 * Persons: v2 list/get/create/patch/delete/search (reference 4.1–4.7) and the v1 merge (4.9).
 */
import type { FastifyInstance } from 'fastify';
import { PIPEDRIVE_API } from '../../../../server/pipedrive/provider.ts';
import {
  badRequest,
  bodyObject,
  boolParam,
  type Caller,
  decodeCursor,
  encodeCursor,
  type FakeContext,
  intParam,
  limitParam,
  notFound,
  ok,
  type Query,
  route,
  timeParam,
} from '../api.ts';
import { compileFilter } from '../filters.ts';
import { isoTime, type PersonRenderOptions, personV1, personV2, personV2Json } from '../format.ts';
import type { Person } from '../model.ts';
import {
  createPerson,
  deletePerson,
  livePerson,
  mergePersons,
  updatePerson,
  type WriteSource,
} from '../persons-service.ts';
import type { CompanyStore } from '../store.ts';
import { validatePersonBody } from '../validate.ts';

interface PersonCursor {
  field: 'id' | 'update_time' | 'add_time';
  fieldValue: number | string;
  sortDirection: 'asc' | 'desc';
  id: number;
  seq?: number;
}

export function renderOptions(fx: FakeContext, _c: CompanyStore, q: Query): PersonRenderOptions {
  const keys = q.custom_fields?.split(',').filter(Boolean);
  if (keys && keys.length > PIPEDRIVE_API.maxCustomFields) {
    throw badRequest(
      `Parameter 'custom_fields' takes at most ${PIPEDRIVE_API.maxCustomFields} keys`,
    );
  }
  return {
    customKeys: keys,
    includeOptionLabels: boolParam(q.include_option_labels, 'include_option_labels') ?? false,
    unsetAsNull: fx.behaviour.unsetCustomFields === 'null',
    includeFields: q.include_fields?.split(','),
  };
}

const apiSource = (caller: Caller): WriteSource => ({
  changeSource: 'api',
  userId: caller.user.id,
});

export function registerPersonRoutes(app: FastifyInstance, fx: FakeContext): void {
  route(app, fx, 'v2', 'GET', '/persons', (_req, caller, q) => listPersons(fx, caller.company, q));

  route(app, fx, 'v2', 'GET', '/persons/{id}', (req, caller, q) => {
    const c = caller.company;
    const id = intParam((req.params as Query).id, 'id');
    const p = c.persons.get(id);
    if (!p || (p.is_deleted && fx.behaviour.deletedPersonGet === '404')) throw notFound('Person');
    return {
      body: null,
      raw: `{"success":true,"data":${personV2Json(p, c, renderOptions(fx, c, q))}}`,
    };
  });

  route(app, fx, 'v2', 'POST', '/persons', (req, caller) => {
    const patch = validatePersonBody(bodyObject(req), caller.company, fx.behaviour, 'create');
    const p = createPerson(fx, caller.company, patch, apiSource(caller));
    return ok(
      personV2(p, caller.company, { unsetAsNull: fx.behaviour.unsetCustomFields === 'null' }),
    );
  });

  route(app, fx, 'v2', 'PATCH', '/persons/{id}', (req, caller) => {
    const id = intParam((req.params as Query).id, 'id');
    livePerson(caller.company, id);
    const patch = validatePersonBody(bodyObject(req), caller.company, fx.behaviour, 'update');
    const p = updatePerson(fx, caller.company, id, patch, apiSource(caller));
    return ok(
      personV2(p, caller.company, { unsetAsNull: fx.behaviour.unsetCustomFields === 'null' }),
    );
  });

  route(app, fx, 'v2', 'DELETE', '/persons/{id}', (req, caller) => {
    const id = intParam((req.params as Query).id, 'id');
    deletePerson(fx, caller.company, id, apiSource(caller));
    return ok({ id });
  });

  route(app, fx, 'v2', 'GET', '/persons/search', (_req, caller, q) =>
    searchPersons(fx, caller.company, q),
  );

  route(app, fx, 'v1', 'PUT', '/persons/{id}/merge', (req, caller) => {
    const id = intParam((req.params as Query).id, 'id');
    const body = bodyObject(req);
    const raw = body.merge_with_id;
    // v1 also takes form bodies, where numbers arrive as strings (reference 2.4).
    const mergeWithId = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
    if (typeof mergeWithId !== 'number' || !Number.isInteger(mergeWithId))
      throw badRequest("Field 'merge_with_id' must be an integer");
    if (mergeWithId === id) throw badRequest('Cannot merge a person with itself');
    const survivor = mergePersons(fx, caller.company, id, mergeWithId, apiSource(caller));
    return ok({ ...personV1(survivor, caller.company), merge_what_id: id });
  });
}

function listPersons(fx: FakeContext, c: CompanyStore, q: Query) {
  const limit = limitParam(q.limit);
  const sortBy = q.sort_by ?? 'id';
  if (!['id', 'update_time', 'add_time'].includes(sortBy))
    throw badRequest("Parameter 'sort_by' must be id, update_time or add_time");
  const dir = q.sort_direction ?? 'asc';
  if (dir !== 'asc' && dir !== 'desc')
    throw badRequest("Parameter 'sort_direction' must be asc or desc");
  const since = timeParam(q.updated_since, 'updated_since');
  const until = timeParam(q.updated_until, 'updated_until');
  const opts = renderOptions(fx, c, q);
  const preds: Array<(p: Person) => boolean> = [(p) => !p.is_deleted];
  // Reference 4.2: updated_since is inclusive, updated_until exclusive.
  if (since !== undefined) preds.push((p) => p.update_time >= since);
  if (until !== undefined) preds.push((p) => p.update_time < until);
  let ids: number[] | undefined;
  if (q.filter_id !== undefined) {
    // Reference 4.2: with filter_id, ids/owner_id/org_id/deal_id are ignored.
    const filter = c.filters.get(intParam(q.filter_id, 'filter_id'));
    if (!filter) throw notFound('Filter');
    preds.push(compileFilter(filter, c));
  } else {
    if (q.ids !== undefined) {
      ids = q.ids.split(',').map((s) => intParam(s.trim(), 'ids'));
      if (ids.length > PIPEDRIVE_API.maxIds)
        throw badRequest(`Parameter 'ids' takes at most ${PIPEDRIVE_API.maxIds} ids`);
    }
    if (q.owner_id !== undefined) {
      const owner = intParam(q.owner_id, 'owner_id');
      preds.push((p) => p.owner_id === owner);
    }
    if (q.org_id !== undefined) {
      const org = intParam(q.org_id, 'org_id');
      preds.push((p) => p.org_id === org);
    }
  }
  const cursor = decodeCursor<PersonCursor>(q.cursor);
  if (cursor && (cursor.field !== sortBy || cursor.sortDirection !== dir))
    throw badRequest('Cursor does not match the sort');
  const matches = (p: Person) => preds.every((f) => f(p));
  const page: Person[] = [];
  let more = false;
  const take = (source: Iterable<Person>) => {
    for (const p of source) {
      if (!matches(p)) continue;
      if (page.length === limit) {
        more = true;
        break;
      }
      page.push(p);
    }
  };
  const key = (p: Person): [number, number] =>
    sortBy === 'update_time'
      ? [p.update_time, p.seq]
      : sortBy === 'add_time'
        ? [p.add_time, p.id]
        : [p.id, p.id];
  const sortKeyed = (list: Person[]) => {
    const sign = dir === 'asc' ? 1 : -1;
    list.sort((a, b) => {
      const [a1, a2] = key(a);
      const [b1, b2] = key(b);
      return sign * (a1 - b1 || a2 - b2);
    });
    if (!cursor) return list;
    const ck: [number, number] = [
      typeof cursor.fieldValue === 'string' ? Date.parse(cursor.fieldValue) : cursor.fieldValue,
      sortBy === 'update_time' ? (cursor.seq ?? 0) : cursor.id,
    ];
    return list.filter((p) => {
      const [k1, k2] = key(p);
      return sign * (k1 - ck[0] || k2 - ck[1]) > 0;
    });
  };
  if (ids) {
    take(sortKeyed(ids.map((id) => c.persons.get(id)).filter((p): p is Person => p !== undefined)));
  } else if (sortBy === 'id') {
    take(c.byId(dir, cursor?.id));
  } else if (sortBy === 'update_time') {
    let after: { t: number; seq: number } | undefined;
    if (cursor) after = { t: Date.parse(String(cursor.fieldValue)), seq: cursor.seq ?? 0 };
    else if (dir === 'asc' && since !== undefined) after = { t: since, seq: -1 };
    else if (dir === 'desc' && until !== undefined) after = { t: until, seq: -1 };
    take(c.byUpdateTime(dir, after));
  } else {
    // add_time order has no index: a full scan and sort (fine for tests; see README).
    take(sortKeyed([...c.persons.values()].filter(matches)));
  }
  const last = page[page.length - 1];
  let next: string | null = null;
  if (more && last) {
    const c2: PersonCursor = {
      field: sortBy as PersonCursor['field'],
      fieldValue:
        sortBy === 'id'
          ? last.id
          : isoTime(sortBy === 'update_time' ? last.update_time : last.add_time),
      sortDirection: dir,
      id: last.id,
      ...(sortBy === 'update_time' ? { seq: last.seq } : {}),
    };
    // Keyset cursors on times need millisecond precision to be exact.
    if (sortBy !== 'id')
      c2.fieldValue = new Date(
        sortBy === 'update_time' ? last.update_time : last.add_time,
      ).toISOString();
    next = encodeCursor(c2);
  }
  const data = page.map((p) => personV2Json(p, c, opts)).join(',');
  return {
    body: null,
    raw: `{"success":true,"data":[${data}],"additional_data":{"next_cursor":${JSON.stringify(next)}}}`,
  };
}

function searchPersons(fx: FakeContext, c: CompanyStore, q: Query) {
  const term = q.term;
  const exact = boolParam(q.exact_match, 'exact_match') ?? false;
  if (term === undefined || term.length < (exact ? 1 : 2)) {
    throw badRequest("Parameter 'term' must be at least 2 characters (1 with exact_match)");
  }
  const fields = (q.fields ?? 'custom_fields,email,notes,phone,name').split(',');
  for (const f of fields)
    if (!['custom_fields', 'email', 'notes', 'phone', 'name'].includes(f))
      throw badRequest(`Unknown search field '${f}'`);
  const limit = limitParam(q.limit);
  const offset = decodeCursor<{ offset: number }>(q.cursor)?.offset ?? 0;
  const orgId =
    q.organization_id === undefined ? undefined : intParam(q.organization_id, 'organization_id');
  const needle = term.toLowerCase();
  const hit = (v: string) =>
    exact ? v.toLowerCase() === needle : v.toLowerCase().includes(needle);
  const visibleBefore = fx.clock.now() - fx.behaviour.searchLagMs;
  const searchable = c.personFields.filter(
    (f) =>
      f.custom &&
      ['varchar', 'text', 'varchar_auto', 'double', 'monetary', 'phone', 'address'].includes(
        f.field_type,
      ),
  );
  const score = (p: Person): number => {
    if (fields.includes('email') && p.emails.some((e) => hit(e.value))) return 1;
    if (fields.includes('name') && hit(p.name)) return 0.9;
    if (fields.includes('phone') && p.phones.some((e) => hit(e.value))) return 0.8;
    if (
      fields.includes('custom_fields') &&
      searchable.some(
        (f) => p.custom_fields[f.key] !== undefined && hit(String(p.custom_fields[f.key])),
      )
    )
      return 0.5;
    return 0;
  };
  // Exact email search is the app's hot path: answer it from the email index.
  const candidates: Iterable<Person> =
    exact && fields.length === 1 && fields[0] === 'email'
      ? c
          .idsByEmail(term)
          .sort((a, b) => a - b)
          .map((id) => c.persons.get(id))
          .filter((p): p is Person => p !== undefined)
      : c.persons.values();
  const found: Array<{ p: Person; s: number }> = [];
  for (const p of candidates) {
    if (p.is_deleted || p.update_time > visibleBefore) continue;
    if (orgId !== undefined && p.org_id !== orgId) continue;
    const s = score(p);
    if (s > 0) found.push({ p, s });
  }
  const page = found.slice(offset, offset + limit);
  const items = page.map(({ p, s }) => {
    const org = p.org_id === null ? undefined : c.orgs.get(p.org_id);
    return {
      result_score: s,
      item: {
        id: p.id,
        type: 'person',
        name: p.name,
        phones: p.phones.map((e) => e.value),
        emails: p.emails.map((e) => e.value),
        visible_to: p.visible_to,
        owner: { id: p.owner_id },
        organization: org
          ? { id: org.id, name: org.name, ...(org.address ? { address: org.address } : {}) }
          : null,
        custom_fields: searchable
          .map((f) => p.custom_fields[f.key])
          .filter((v) => v !== undefined)
          .map(String),
        notes: [],
      },
    };
  });
  const next = offset + limit < found.length ? encodeCursor({ offset: offset + limit }) : null;
  return ok({ items }, { next_cursor: next });
}
