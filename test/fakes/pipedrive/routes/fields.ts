/**
 * Person and organization fields in both shapes: v1 `/personFields` (offset paging, `key`) and
 * v2 `/personFields` (cursor paging, `field_code`), same 40-hex keys (reference 5.1–5.4).
 * Custom fields can be created through v1 or v2 (scope `contact-fields:full` or `admin`).
 */
import type { FastifyInstance } from 'fastify';
import {
  badRequest,
  bodyObject,
  type FakeContext,
  intParam,
  limitParam,
  notFound,
  ok,
  type Query,
  route,
} from '../api.ts';
import { hexKey } from '../demo.ts';
import { fieldV1, fieldV2 } from '../format.ts';
import type { FieldDef } from '../model.ts';
import type { CompanyStore } from '../store.ts';

const CREATABLE = [
  'varchar',
  'text',
  'double',
  'phone',
  'date',
  'daterange',
  'time',
  'timerange',
  'set',
  'enum',
  'varchar_auto',
  'address',
  'monetary',
  'org',
  'people',
  'user',
];

type Kind = 'person' | 'organization';
const fieldsOf = (c: CompanyStore, kind: Kind) =>
  kind === 'person' ? c.personFields : c.orgFields;

export function registerFieldRoutes(app: FastifyInstance, fx: FakeContext): void {
  for (const kind of ['person', 'organization'] as const) {
    const base = `/${kind}Fields`;
    route(app, fx, 'v1', 'GET', base, (_req, caller, q) => {
      const all = fieldsOf(caller.company, kind).filter((f) => f.active);
      const start = q.start === undefined ? 0 : intParam(q.start, 'start');
      const limit = limitParam(q.limit);
      const page = all.slice(start, start + limit);
      const more = start + limit < all.length;
      return ok(page.map(fieldV1), {
        pagination: {
          start,
          limit,
          more_items_in_collection: more,
          ...(more ? { next_start: start + limit } : {}),
        },
      });
    });
    route(app, fx, 'v1', 'GET', `${base}/{id}`, (req, caller) => {
      const id = intParam((req.params as Query).id, 'id');
      const f = fieldsOf(caller.company, kind).find((x) => x.id === id && x.active);
      if (!f) throw notFound('Field');
      return ok(fieldV1(f));
    });
    route(app, fx, 'v1', 'POST', base, (req, caller) => {
      const f = createField(fx, caller.company, kind, bodyObject(req), 'v1');
      return ok(fieldV1(f));
    });
    route(app, fx, 'v2', 'GET', base, (_req, caller, q) => {
      const all = fieldsOf(caller.company, kind).filter((f) => f.active);
      const limit = limitParam(q.limit);
      const start =
        q.cursor === undefined ? 0 : Number(Buffer.from(q.cursor, 'base64url').toString('utf8'));
      if (!Number.isInteger(start) || start < 0) throw badRequest('Invalid cursor');
      const include = q.include_fields?.split(',') ?? [];
      const page = all.slice(start, start + limit);
      const next =
        start + limit < all.length
          ? Buffer.from(String(start + limit)).toString('base64url')
          : null;
      return ok(
        page.map((f) => fieldV2(f, include)),
        { next_cursor: next },
      );
    });
    route(app, fx, 'v2', 'GET', `${base}/{field_code}`, (req, caller, q) => {
      const code = (req.params as Query).field_code;
      const f = fieldsOf(caller.company, kind).find((x) => x.key === code && x.active);
      if (!f) throw notFound('Field');
      return ok(fieldV2(f, q.include_fields?.split(',') ?? []));
    });
    route(app, fx, 'v2', 'POST', base, (req, caller) => {
      const f = createField(fx, caller.company, kind, bodyObject(req), 'v2');
      return ok(fieldV2(f));
    });
  }
}

function createField(
  fx: FakeContext,
  c: CompanyStore,
  kind: Kind,
  body: Record<string, unknown>,
  version: 'v1' | 'v2',
): FieldDef {
  const name = version === 'v1' ? body.name : body.field_name;
  const type = body.field_type;
  if (typeof name !== 'string' || name.trim() === '')
    throw badRequest(`Field '${version === 'v1' ? 'name' : 'field_name'}' is required`);
  if (typeof type !== 'string' || !CREATABLE.includes(type))
    throw badRequest(`Field 'field_type' must be one of ${CREATABLE.join(', ')}`);
  const rawOptions = body.options;
  let options: FieldDef['options'] = null;
  if (type === 'enum' || type === 'set') {
    if (!Array.isArray(rawOptions) || rawOptions.length === 0)
      throw badRequest('Option fields need a non-empty options array');
    options = rawOptions.map((o) => {
      const label = (o as { label?: unknown }).label;
      if (typeof label !== 'string') throw badRequest('Each option needs a string label');
      return { id: fx.store.nextId('option'), label };
    });
  }
  const list = fieldsOf(c, kind);
  const now = fx.clock.now();
  const f: FieldDef = {
    id: fx.store.nextId('field'),
    key: hexKey(fx.rng),
    name,
    field_type: type,
    order_nr: list.length,
    options,
    custom: true,
    readOnly: false,
    mandatory: false,
    add_time: now,
    update_time: now,
    active: true,
  };
  list.push(f);
  return f;
}
