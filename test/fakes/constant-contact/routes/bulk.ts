/**
 * `/v3/activities*` (§8): JSON import, list membership add/remove, contact delete, and the
 * activity status endpoints. Every POST answers 201 with the activity in `initialized`.
 */
import type { FastifyInstance } from 'fastify';
import { ccBulkLimits as B } from '../../../../server/constant-contact/provider.ts';
import type { ActivityRunner, ContactSource } from '../activities.ts';
import { activityResource } from '../activities.ts';
import { asBody, type Body, Checker } from '../contact-input.ts';
import { accountOf, encodeCursor, type FakeContext, limitOf, one, pageQuery } from '../context.ts';
import { notFound, validationError } from '../errors.ts';
import { EXPORT_FIELDS, type ExportField, type ExportPayload } from '../export.ts';
import { type ImportRow, rowsUnderLimit } from '../import.ts';
import type { AccountStore } from '../store.ts';

function targetLists(check: Checker, account: AccountStore, key = 'list_ids'): string[] {
  const items = check.array(key, B.listIdsMax);
  if (!items || items.length === 0) {
    check.fail(`${key} must contain between 1 and ${B.listIdsMax} list ids.`);
    return [];
  }
  return check.listIds(items, account, key) ?? [];
}

/** `source` of ListActivityAddContacts / ListActivityRemoveContacts and ContactDelete. */
function contactSource(check: Checker, account: AccountStore, from: Body): ContactSource {
  const source: ContactSource = {};
  const ids = check.array('contact_ids', B.contactIdsMax, from);
  const lists = check.array('list_ids', B.listIdsMax, from);
  const tags = check.array('tag_ids', B.tagIdsMax, from);
  if (ids) source.contactIds = check.strings(ids, 'contact_ids', 36);
  else if (lists) source.listIds = check.listIds(lists, account, 'source.list_ids');
  else if (tags) source.tagIds = check.tagIds(tags, account, 'source.tag_ids');
  else if (from.all_active_contacts === true) source.allActive = true;
  else check.fail('source must name contact_ids, list_ids, tag_ids or all_active_contacts.');
  return source;
}

export function registerBulkRoutes(
  app: FastifyInstance,
  ctx: FakeContext,
  runner: ActivityRunner,
): void {
  app.post('/activities/contacts_json_import', async (request, reply) => {
    const account = accountOf(ctx, request);
    const check = new Checker(asBody(request.body));
    const data = check.body.import_data;
    if (!Array.isArray(data) || data.length === 0)
      check.fail('import_data must contain at least one contact.');
    else if (data.length > B.jsonImportMaxContacts) {
      check.fail(`import_data exceeds the maximum of ${B.jsonImportMaxContacts} contacts.`);
    }
    const listIds = targetLists(check, account);
    check.throwIfAny();
    const rows = rowsUnderLimit(data as ImportRow[]);
    const body = runner.enqueue(account, 'contacts_json_import', { rows, listIds }, rows.length);
    return reply.code(201).send(body);
  });

  for (const type of ['add_list_memberships', 'remove_list_memberships'] as const) {
    app.post(`/activities/${type}`, async (request, reply) => {
      const account = accountOf(ctx, request);
      const check = new Checker(asBody(request.body));
      const sourceBody = check.object(check.body.source, 'source');
      const source = sourceBody ? contactSource(check, account, sourceBody) : {};
      const listIds = targetLists(check, account);
      const exclude = check.body.exclude as { contact_ids?: unknown } | undefined;
      if (exclude && Array.isArray(exclude.contact_ids))
        source.exclude = exclude.contact_ids.map(String);
      check.throwIfAny();
      const total = source.contactIds?.length ?? 0;
      return reply.code(201).send(runner.enqueue(account, type, { source, listIds }, total));
    });
  }

  for (const type of ['contacts_taggings_add', 'contacts_taggings_remove'] as const) {
    app.post(`/activities/${type}`, async (request, reply) => {
      const account = accountOf(ctx, request);
      const check = new Checker(asBody(request.body));
      const sourceBody = check.object(check.body.source, 'source');
      const source = sourceBody ? contactSource(check, account, sourceBody) : {};
      const tagIds = check.tagIds(check.array('tag_ids', B.tagIdsMax), account, 'tag_ids') ?? [];
      if (tagIds.length === 0) check.fail('tag_ids must contain at least one tag id.');
      const exclude = check.body.exclude as { contact_ids?: unknown } | undefined;
      if (exclude && Array.isArray(exclude.contact_ids))
        source.exclude = exclude.contact_ids.map(String);
      check.throwIfAny();
      const total = source.contactIds?.length ?? 0;
      return reply.code(201).send(runner.enqueue(account, type, { source, tagIds }, total));
    });
  }

  app.post('/activities/contacts_tags_delete', async (request, reply) => {
    const account = accountOf(ctx, request);
    const check = new Checker(asBody(request.body));
    const tagIds = check.tagIds(check.array('tag_ids', B.tagIdsMax), account, 'tag_ids') ?? [];
    if (tagIds.length === 0) check.fail('tag_ids must contain at least one tag id.');
    check.throwIfAny();
    const body = runner.enqueue(
      account,
      'contacts_tags_delete',
      { source: {}, tagIds },
      tagIds.length,
    );
    return reply.code(201).send(body);
  });

  app.post('/activities/list_delete', async (request, reply) => {
    const account = accountOf(ctx, request);
    const check = new Checker(asBody(request.body));
    const items = check.array('list_ids', B.listDeleteIdsMax);
    const listIds = check.listIds(items, account, 'list_ids') ?? [];
    if (listIds.length === 0) check.fail('list_ids must contain at least one list id.');
    check.throwIfAny();
    return reply
      .code(201)
      .send(runner.enqueue(account, 'list_delete', { listIds }, listIds.length));
  });

  app.post('/activities/custom_fields_delete', async (request, reply) => {
    const account = accountOf(ctx, request);
    const check = new Checker(asBody(request.body));
    const ids =
      check.strings(check.array('custom_field_ids', B.customFieldIdsMax), 'custom_field_ids', 36) ??
      [];
    for (const id of ids)
      if (!account.customFields.has(id)) check.fail(`custom_field_ids ${id} does not exist.`);
    if (ids.length === 0) check.fail('custom_field_ids must contain at least one id.');
    check.throwIfAny();
    return reply
      .code(201)
      .send(runner.enqueue(account, 'custom_fields_delete', { customFieldIds: ids }, ids.length));
  });

  app.post('/activities/contact_delete', async (request, reply) => {
    const account = accountOf(ctx, request);
    const check = new Checker(asBody(request.body));
    const hasIds = check.body.contact_ids !== undefined;
    const hasLists = check.body.list_ids !== undefined;
    if (hasIds === hasLists) check.fail('Send either contact_ids or list_ids.');
    const source = contactSource(check, account, check.body);
    check.throwIfAny();
    return reply
      .code(201)
      .send(runner.enqueue(account, 'contact_delete', { source }, source.contactIds?.length ?? 0));
  });

  app.post('/activities/contact_exports', async (request, reply) => {
    const account = accountOf(ctx, request);
    const check = new Checker(asBody(request.body));
    const b = check.body;
    const hasSource =
      b.contact_ids !== undefined || b.list_ids !== undefined || b.tag_ids !== undefined;
    const source = hasSource ? contactSource(check, account, b) : {};
    const exclude = b.exclude as { contact_ids?: unknown } | undefined;
    if (exclude && Array.isArray(exclude.contact_ids))
      source.exclude = exclude.contact_ids.map(String);
    const status = check.oneOf('status', ['active', 'unsubscribed', 'removed'] as const);
    const requested = check.strings(check.array('fields', EXPORT_FIELDS.length), 'fields', 50);
    for (const f of requested ?? []) {
      if (!(EXPORT_FIELDS as readonly string[]).includes(f))
        check.fail(`fields has an unknown field ${f}.`);
    }
    if (b.segment_id !== undefined) check.fail('segment_id is not supported by this fake.');
    check.throwIfAny();
    const fields = (requested ?? [...EXPORT_FIELDS]) as ExportField[];
    const payload: ExportPayload = { source, all: !hasSource, status, fields };
    return reply.code(201).send(runner.enqueue(account, 'contact_exports', payload, 0));
  });

  app.get<{ Params: { id: string } }>('/contact_exports/:id', async (request, reply) => {
    const account = accountOf(ctx, request);
    const csv = account.exports.get(request.params.id);
    if (csv === undefined) throw notFound(`Export ${request.params.id} not found.`);
    return reply.type('text/csv').send(csv);
  });

  app.get('/activities', async (request) => {
    const account = accountOf(ctx, request);
    runner.prune(account);
    const { position, query } = pageQuery(request);
    const limit = limitOf(query, B.activitiesPageSizeMax, B.activitiesPageSizeDefault);
    const state = one(query, 'state');
    if (state !== undefined && !(B.states as readonly string[]).includes(state)) {
      throw validationError(['state does not have a valid value']);
    }
    const all = [...account.activities.values()]
      .filter((a) => state === undefined || a.state === state)
      .reverse();
    const next = position + limit;
    return {
      activities: all.slice(position, next).map(activityResource),
      _links:
        next < all.length
          ? { next: { href: `/v3/activities?cursor=${encodeCursor(next, query)}` } }
          : {},
    };
  });

  app.get<{ Params: { id: string } }>('/activities/:id', async (request) => {
    const account = accountOf(ctx, request);
    runner.prune(account);
    const activity = account.activities.get(request.params.id);
    if (!activity) throw notFound(`Activity ${request.params.id} not found.`);
    return activityResource(activity);
  });
}
