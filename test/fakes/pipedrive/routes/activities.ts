/**
 * v2 activities (reference 8.1), v1 activity types (8.2) and v1 notes (8.3). Activities and
 * notes fire `create.activity` / `create.note` webhooks like the app's own writes would.
 */
import type { FastifyInstance } from 'fastify';
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
import { activityTypeV1, activityV2 } from '../format-activities.ts';
import type { Activity, ActivityType, Participant } from '../model.ts';
import type { CompanyStore } from '../store.ts';

const ICONS = [
  'task',
  'email',
  'meeting',
  'deadline',
  'call',
  'lunch',
  'calendar',
  'downarrow',
  'document',
  'smartphone',
  'camera',
  'scissors',
  'cogs',
  'bubble',
  'uparrow',
  'checkbox',
  'signpost',
  'shuffle',
  'addressbook',
  'linegraph',
  'picture',
  'car',
  'world',
  'search',
  'clip',
  'sound',
  'brush',
  'key',
  'padlock',
  'pricetag',
  'suitcase',
  'finish',
  'plane',
  'loop',
  'wifi',
  'truck',
  'cart',
  'bulb',
  'bell',
  'presentation',
];

/** Reference 8.2 (UNCONFIRMED): lower-case, non-alphanumeric runs → `_`, `_2`, `_3` on collision. */
export function defaultKeyString(name: string, taken: (key: string) => boolean): string {
  const base =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_|_$/g, '') || 'type';
  let key = base;
  for (let n = 2; taken(key); n++) key = `${base}_${n}`;
  return key;
}

export type KeyStringGenerator = typeof defaultKeyString;

export function registerActivityRoutes(
  app: FastifyInstance,
  fx: FakeContext,
  keyString: () => KeyStringGenerator,
): void {
  route(app, fx, 'v1', 'GET', '/activityTypes', (_req, caller) =>
    ok(
      [...caller.company.activityTypes.values()]
        .sort((a, b) => a.order_nr - b.order_nr)
        .map(activityTypeV1),
    ),
  );
  route(app, fx, 'v1', 'POST', '/activityTypes', (req, caller) => {
    const body = bodyObject(req);
    if (typeof body.name !== 'string' || !body.name.trim())
      throw badRequest("Field 'name' is required");
    if (typeof body.icon_key !== 'string' || !ICONS.includes(body.icon_key))
      throw badRequest("Field 'icon_key' must be one of the documented icons");
    if (
      body.color !== undefined &&
      (typeof body.color !== 'string' || !/^[0-9A-Fa-f]{6}$/.test(body.color))
    )
      throw badRequest("Field 'color' must be 6 hex digits");
    const c = caller.company;
    const now = fx.clock.now();
    const t: ActivityType = {
      id: fx.store.nextId('activityType'),
      companyId: c.company.id,
      name: body.name,
      key_string: keyString()(body.name, (k) =>
        [...c.activityTypes.values()].some((x) => x.key_string === k),
      ),
      icon_key: body.icon_key,
      color: typeof body.color === 'string' ? body.color.toUpperCase() : 'FFFFFF',
      order_nr: c.activityTypes.size + 1,
      active_flag: true,
      is_custom_flag: true,
      add_time: now,
      update_time: now,
    };
    c.activityTypes.set(t.id, t);
    return ok(activityTypeV1(t));
  });

  route(app, fx, 'v2', 'POST', '/activities', (req, caller) => {
    const a = writeActivity(fx, caller, undefined, bodyObject(req));
    return ok(activityV2(a));
  });
  route(app, fx, 'v2', 'PATCH', '/activities/{id}', (req, caller) => {
    const a = liveActivity(caller.company, intParam((req.params as Query).id, 'id'));
    return ok(activityV2(writeActivity(fx, caller, a, bodyObject(req))));
  });
  route(app, fx, 'v2', 'DELETE', '/activities/{id}', (req, caller) => {
    // Reference 8.1: soft delete, kept 30 days.
    const a = liveActivity(caller.company, intParam((req.params as Query).id, 'id'));
    a.is_deleted = true;
    a.update_time = fx.clock.now();
    return ok({ id: a.id });
  });
  route(app, fx, 'v2', 'GET', '/activities/{id}', (req, caller) =>
    ok(activityV2(liveActivity(caller.company, intParam((req.params as Query).id, 'id')))),
  );
  route(app, fx, 'v2', 'GET', '/activities', (_req, caller, q) => {
    const limit = limitParam(q.limit);
    const after = decodeCursor<{ id: number }>(q.cursor)?.id ?? 0;
    const personId = q.person_id === undefined ? undefined : intParam(q.person_id, 'person_id');
    const done = boolParam(q.done, 'done');
    const since = timeParam(q.updated_since, 'updated_since');
    const until = timeParam(q.updated_until, 'updated_until');
    const all = [...caller.company.activities.values()]
      .filter(
        (a) =>
          !a.is_deleted &&
          a.id > after &&
          (personId === undefined ||
            a.person_id === personId ||
            a.participants.some((p) => p.person_id === personId)) &&
          (done === undefined || a.done === done) &&
          (since === undefined || a.update_time >= since) &&
          (until === undefined || a.update_time < until),
      )
      .sort((a, b) => a.id - b.id);
    const page = all.slice(0, limit);
    const last = page[page.length - 1];
    return ok(page.map(activityV2), {
      next_cursor:
        all.length > limit && last
          ? encodeCursor({ field: 'id', fieldValue: last.id, sortDirection: 'asc', id: last.id })
          : null,
    });
  });
}

function liveActivity(c: CompanyStore, id: number): Activity {
  const a = c.activities.get(id);
  if (!a || a.is_deleted) throw notFound('Activity');
  return a;
}

const HHMM = /^\d{2}:\d{2}(:\d{2})?$/;

function writeActivity(
  fx: FakeContext,
  caller: Caller,
  existing: Activity | undefined,
  body: Record<string, unknown>,
): Activity {
  const c = caller.company;
  const now = fx.clock.now();
  const a: Activity = existing ?? {
    id: 0,
    companyId: c.company.id,
    subject: '',
    type: 'task',
    owner_id: caller.user.id,
    creator_user_id: caller.user.id,
    is_deleted: false,
    add_time: now,
    update_time: now,
    deal_id: null,
    lead_id: null,
    person_id: null,
    org_id: null,
    project_id: null,
    due_date: null,
    due_time: null,
    duration: null,
    busy: false,
    done: false,
    marked_as_done_time: null,
    participants: [],
    public_description: null,
    note: null,
    priority: null,
  };
  const next: Activity = { ...a, participants: a.participants.map((p) => ({ ...p })) };
  const str = (k: string, re?: RegExp): string | null | undefined => {
    const v = body[k];
    if (v === undefined) return undefined;
    if (v === null) return null;
    if (typeof v !== 'string' || (re && !re.test(v)))
      throw badRequest(`Field '${k}' has an invalid value`);
    return v;
  };
  const int = (k: string): number | null | undefined => {
    const v = body[k];
    if (v === undefined) return undefined;
    if (v === null) return null;
    if (typeof v !== 'number' || !Number.isInteger(v))
      throw badRequest(`Field '${k}' must be an integer`);
    return v;
  };
  const bool = (k: string): boolean | undefined => {
    const v = body[k];
    if (v === undefined) return undefined;
    // Reference 8.1: `1`/`0` are rejected in v2.
    if (typeof v !== 'boolean') throw badRequest(`Field '${k}' must be a boolean`);
    return v;
  };
  const subject = str('subject');
  if (subject !== undefined) next.subject = subject ?? '';
  if (!existing && !next.subject) throw badRequest("Field 'subject' is required");
  const type = str('type');
  if (type) {
    if (![...c.activityTypes.values()].some((t) => t.key_string === type && t.active_flag))
      throw badRequest(`Unknown activity type '${type}'`);
    next.type = type;
  }
  const due = str('due_date', /^\d{4}-\d{2}-\d{2}$/);
  if (due !== undefined) next.due_date = due;
  const dueTime = str('due_time', HHMM);
  if (dueTime !== undefined) next.due_time = dueTime;
  const duration = str('duration', HHMM);
  if (duration !== undefined) next.duration = duration;
  for (const k of ['note', 'public_description'] as const) {
    const v = str(k);
    if (v !== undefined) next[k] = v;
  }
  for (const k of ['owner_id', 'deal_id', 'org_id', 'project_id', 'priority'] as const) {
    const v = int(k);
    if (v !== undefined) {
      if (k === 'owner_id') next.owner_id = v ?? caller.user.id;
      else next[k] = v;
    }
  }
  const busy = bool('busy');
  if (busy !== undefined) next.busy = busy;
  const done = bool('done');
  if (done !== undefined) {
    if (done && !next.done) next.marked_as_done_time = now;
    if (!done) next.marked_as_done_time = null;
    next.done = done;
  }
  // Reference 8.1: person_id is derived from the primary participant; a bare person_id
  // creates that participant unless the switch says to ignore it.
  if (body.participants !== undefined) {
    if (!Array.isArray(body.participants))
      throw badRequest("Field 'participants' must be an array");
    next.participants = body.participants.map((p): Participant => {
      const pid = (p as { person_id?: unknown }).person_id;
      const primary =
        (p as { primary?: unknown; primary_flag?: unknown }).primary ??
        (p as { primary_flag?: unknown }).primary_flag ??
        false;
      if (typeof pid !== 'number' || !Number.isInteger(pid))
        throw badRequest('Each participant needs an integer person_id');
      if (typeof primary !== 'boolean') throw badRequest("Participant 'primary' must be a boolean");
      return { person_id: pid, primary };
    });
    if (next.participants.length && !next.participants.some((p) => p.primary))
      (next.participants[0] as Participant).primary = true;
  }
  const personId = int('person_id');
  if (
    personId !== undefined &&
    fx.behaviour.activityPersonId === 'accept' &&
    body.participants === undefined
  ) {
    next.participants = personId === null ? [] : [{ person_id: personId, primary: true }];
  }
  for (const p of next.participants) {
    const person = c.persons.get(p.person_id);
    if (!person || person.is_deleted) throw badRequest(`Person ${p.person_id} not found`);
  }
  next.person_id = next.participants.find((p) => p.primary)?.person_id ?? null;
  next.update_time = now;
  if (!existing) next.id = fx.store.nextId('activity');
  c.activities.set(next.id, next);
  fx.webhooks.emit(c, {
    entity: 'activity',
    action: existing ? 'change' : 'create',
    entityId: next.id,
    data: activityV2(next),
    previous: existing ? activityV2(a) : null,
    changeSource: 'api',
    userId: caller.user.id,
  });
  return next;
}
