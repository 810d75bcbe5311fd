/**
 * v1 notes (reference 8.3): create with exactly one target, list by person with offset paging,
 * optional size and per-entity limits (UNCONFIRMED numbers; off by default). A created note
 * fires `create.note` with change_source "api".
 */
import type { FastifyInstance } from 'fastify';
import {
  ApiError,
  badRequest,
  bodyObject,
  type FakeContext,
  intParam,
  limitParam,
  ok,
  route,
} from '../api.ts';
import { noteV1 } from '../format-activities.ts';

export function registerNoteRoutes(app: FastifyInstance, fx: FakeContext): void {
  route(app, fx, 'v1', 'POST', '/notes', (req, caller) => {
    const body = bodyObject(req);
    const c = caller.company;
    if (typeof body.content !== 'string' || body.content === '')
      throw badRequest("Field 'content' is required");
    const targets = ['person_id', 'org_id', 'deal_id', 'lead_id', 'project_id', 'task_id'].filter(
      (k) => body[k] !== undefined && body[k] !== null,
    );
    if (targets.length !== 1)
      throw badRequest(
        'Exactly one of person_id, org_id, deal_id, lead_id, project_id, task_id is required',
      );
    const personId = numeric(body.person_id);
    const orgId = numeric(body.org_id);
    if (personId !== null && !c.persons.get(personId))
      throw badRequest(`Person ${personId} not found`);
    if (orgId !== null && !c.orgs.get(orgId)) throw badRequest(`Organization ${orgId} not found`);
    const max = fx.behaviour.noteMaxBytes;
    if (max !== null && Buffer.byteLength(body.content) > max)
      throw badRequest(`Note content exceeds ${max} bytes`);
    const perEntity = fx.behaviour.notesPerEntity;
    if (
      perEntity !== null &&
      personId !== null &&
      [...c.notes.values()].filter((n) => n.person_id === personId).length >= perEntity
    ) {
      throw new ApiError(403, 'Notes limit reached for this entity');
    }
    const now = fx.clock.now();
    const addTime =
      typeof body.add_time === 'string' ? Date.parse(`${body.add_time.replace(' ', 'T')}Z`) : now;
    const note = {
      id: fx.store.nextId('note'),
      companyId: c.company.id,
      content: body.content,
      person_id: personId,
      org_id: orgId,
      deal_id: numeric(body.deal_id),
      lead_id: typeof body.lead_id === 'string' ? body.lead_id : null,
      user_id: caller.user.id,
      add_time: Number.isNaN(addTime) ? now : addTime,
      update_time: now,
      pinned_to_person_flag:
        body.pinned_to_person_flag === 1 ||
        body.pinned_to_person_flag === '1' ||
        body.pinned_to_person_flag === true,
      active_flag: true,
    };
    c.notes.set(note.id, note);
    const data = noteV1(note, c, caller.user.id);
    fx.webhooks.emit(c, {
      entity: 'note',
      action: 'create',
      entityId: note.id,
      data,
      previous: null,
      changeSource: 'api',
      userId: caller.user.id,
    });
    return ok(data);
  });
  route(app, fx, 'v1', 'GET', '/notes', (_req, caller, q) => {
    const start = q.start === undefined ? 0 : intParam(q.start, 'start');
    const limit = limitParam(q.limit);
    const personId = q.person_id === undefined ? undefined : intParam(q.person_id, 'person_id');
    const all = [...caller.company.notes.values()]
      .filter((n) => n.active_flag && (personId === undefined || n.person_id === personId))
      .sort((a, b) => a.id - b.id);
    const page = all.slice(start, start + limit);
    const more = start + limit < all.length;
    return ok(
      page.map((n) => noteV1(n, caller.company, caller.user.id)),
      {
        pagination: {
          start,
          limit,
          more_items_in_collection: more,
          ...(more ? { next_start: start + limit } : {}),
        },
      },
    );
  });
}

function numeric(v: unknown): number | null {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return null;
}
