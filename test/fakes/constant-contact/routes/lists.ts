/**
 * `/v3/contact_lists*` (§7) and `/v3/contact_custom_fields*` (§6): at most 1,000 lists with
 * unique names, at most 100 custom fields with unique labels; a list delete is asynchronous
 * (202 + activity).
 */
import type { FastifyInstance } from 'fastify';
import { ccAccountLimits as A } from '../../../../server/constant-contact/provider.ts';
import { deleteCustomFields } from '../activities.ts';
import { asBody, Checker } from '../contact-input.ts';
import {
  accountOf,
  boolOf,
  encodeCursor,
  type FakeContext,
  limitOf,
  one,
  pageQuery,
} from '../context.ts';
import { apiError, notFound, validationError } from '../errors.ts';
import { customFieldResource, listResource, membershipCounts } from '../resource.ts';
import type { AccountStore, CustomFieldRecord, ListRecord } from '../store.ts';

export interface ListDeleteQueue {
  enqueueListDelete(account: AccountStore, listId: string): Record<string, unknown>;
}

function findList(account: AccountStore, id: string): ListRecord {
  const list = account.lists.get(id);
  if (!list) throw apiError(404, 'contacts.api.not_found', `List ${id} not found.`);
  return list;
}

function findField(account: AccountStore, id: string): CustomFieldRecord {
  const field = account.customFields.get(id);
  if (!field) throw notFound(`Custom field ${id} not found.`);
  return field;
}

function nameTaken(account: AccountStore, name: string, except?: string): boolean {
  return account.activeLists().some((l) => l.name === name && l.list_id !== except);
}

/** §6: the read-only `name` is the label with spaces replaced by underscores. */
export function customFieldName(label: string): string {
  return label.trim().replace(/\s+/g, '_');
}

export function registerListRoutes(
  app: FastifyInstance,
  ctx: FakeContext,
  queue: ListDeleteQueue,
): void {
  app.get('/contact_lists', async (request) => {
    const account = accountOf(ctx, request);
    const { position, query } = pageQuery(request);
    const limit = limitOf(query, A.listPageSizeMax, A.listPageSizeDefault);
    const status = one(query, 'status') ?? 'active';
    if (!['all', 'active', 'deleted'].includes(status))
      throw validationError(['status does not have a valid value']);
    const name = one(query, 'name');
    const countMode = one(query, 'include_membership_count');
    if (countMode !== undefined && countMode !== 'all' && countMode !== 'active') {
      throw validationError(['include_membership_count does not have a valid value']);
    }
    const all = [...account.lists.values()].filter(
      (l) =>
        (status === 'all' || (status === 'deleted') === (l.deletedAt !== undefined)) &&
        (name === undefined || l.name === name),
    );
    const counts = countMode ? membershipCounts(account, countMode === 'active') : undefined;
    const page = all.slice(position, position + limit);
    const body: Record<string, unknown> = {
      lists: page.map((l) => listResource(l, counts ? (counts.get(l.list_id) ?? 0) : undefined)),
    };
    if (boolOf(query, 'include_count')) body.lists_count = all.length;
    const next = position + limit;
    body._links =
      next < all.length
        ? { next: { href: `/v3/contact_lists?cursor=${encodeCursor(next, query)}` } }
        : {};
    return body;
  });

  app.post('/contact_lists', async (request, reply) => {
    const account = accountOf(ctx, request);
    const check = new Checker(asBody(request.body));
    const name = check.str('name', A.listNameMaxLength);
    if (name === undefined || name.trim() === '') check.fail('name is required.');
    const description = check.str('description', 2000);
    const favorite = check.body.favorite;
    if (favorite !== undefined && typeof favorite !== 'boolean')
      check.fail('favorite must be a boolean.');
    check.throwIfAny();
    if (nameTaken(account, name as string)) {
      throw apiError(409, 'contacts.api.conflict', `A list named ${name} already exists.`);
    }
    if (account.activeLists().length >= A.listsMax) {
      throw validationError([`An account can hold at most ${A.listsMax} lists.`]);
    }
    const now = ctx.clock.now();
    const list: ListRecord = {
      list_id: ctx.store.uuid(),
      name: name as string,
      description,
      favorite: favorite === true,
      createdAt: now,
      updatedAt: now,
    };
    account.lists.set(list.list_id, list);
    return reply.code(201).send(listResource(list));
  });

  app.get<{ Params: { id: string } }>('/contact_lists/:id', async (request) => {
    const account = accountOf(ctx, request);
    const list = findList(account, request.params.id);
    const countMode = one(request.query as Record<string, string>, 'include_membership_count');
    const counts = countMode ? membershipCounts(account, countMode === 'active') : undefined;
    return listResource(list, counts ? (counts.get(list.list_id) ?? 0) : undefined);
  });

  app.put<{ Params: { id: string } }>('/contact_lists/:id', async (request) => {
    const account = accountOf(ctx, request);
    const list = findList(account, request.params.id);
    const check = new Checker(asBody(request.body));
    const name = check.str('name', A.listNameMaxLength);
    if (name === undefined) check.fail('name is required.');
    const description = check.str('description', 2000);
    check.throwIfAny();
    if (nameTaken(account, name as string, list.list_id)) {
      throw apiError(409, 'contacts.api.conflict', `A list named ${name} already exists.`);
    }
    list.name = name as string;
    list.description = description;
    list.favorite = check.body.favorite === true;
    list.updatedAt = ctx.clock.now();
    return listResource(list);
  });

  app.delete<{ Params: { id: string } }>('/contact_lists/:id', async (request, reply) => {
    const account = accountOf(ctx, request);
    const list = findList(account, request.params.id);
    if (list.deletedAt !== undefined) throw notFound(`List ${list.list_id} not found.`);
    const activity = queue.enqueueListDelete(account, list.list_id);
    const href = (activity._links as { self: { href: string } }).self.href;
    return reply.code(202).header('location', href).send(activity);
  });

  app.get('/contact_custom_fields', async (request) => {
    const account = accountOf(ctx, request);
    const { position, query } = pageQuery(request);
    const limit = limitOf(query, A.customFieldPageSizeMax, A.customFieldPageSizeDefault);
    const all = [...account.customFields.values()];
    const next = position + limit;
    return {
      custom_fields: all.slice(position, next).map(customFieldResource),
      _links:
        next < all.length
          ? { next: { href: `/v3/contact_custom_fields?cursor=${encodeCursor(next, query)}` } }
          : {},
    };
  });

  app.post('/contact_custom_fields', async (request, reply) => {
    const account = accountOf(ctx, request);
    const { label, type, choices } = parseField(request.body, true);
    if ([...account.customFields.values()].some((f) => f.label === label)) {
      throw apiError(
        409,
        'contacts.api.conflict',
        `A custom field labelled ${label} already exists.`,
      );
    }
    if (account.customFields.size >= A.customFieldsMax) {
      throw validationError([`An account can hold at most ${A.customFieldsMax} custom fields.`]);
    }
    const now = ctx.clock.now();
    const field: CustomFieldRecord = {
      custom_field_id: ctx.store.uuid(),
      label,
      name: customFieldName(label),
      type: type ?? 'string',
      choices,
      createdAt: now,
      updatedAt: now,
    };
    account.customFields.set(field.custom_field_id, field);
    return reply.code(201).send(customFieldResource(field));
  });

  app.get<{ Params: { id: string } }>('/contact_custom_fields/:id', async (request) => {
    return customFieldResource(findField(accountOf(ctx, request), request.params.id));
  });

  // §6: only label and choices can change; omitted properties become null.
  app.put<{ Params: { id: string } }>('/contact_custom_fields/:id', async (request) => {
    const account = accountOf(ctx, request);
    const field = findField(account, request.params.id);
    const { label, choices } = parseField(request.body, false);
    if ([...account.customFields.values()].some((f) => f.label === label && f !== field)) {
      throw apiError(
        409,
        'contacts.api.conflict',
        `A custom field labelled ${label} already exists.`,
      );
    }
    field.label = label;
    field.name = customFieldName(label);
    field.choices = choices;
    field.updatedAt = ctx.clock.now();
    return customFieldResource(field);
  });

  app.delete<{ Params: { id: string } }>('/contact_custom_fields/:id', async (request, reply) => {
    const account = accountOf(ctx, request);
    const field = findField(account, request.params.id);
    deleteCustomFields(account, [field.custom_field_id]);
    return reply.code(204).send();
  });
}

function parseField(
  raw: unknown,
  create: boolean,
): { label: string; type?: string; choices?: CustomFieldRecord['choices'] } {
  const check = new Checker(asBody(raw));
  const label = check.str('label', A.customFieldLabelMaxLength);
  if (label === undefined || label.trim() === '') check.fail('label is required.');
  const type = create ? check.oneOf('type', A.customFieldTypes) : undefined;
  if (create && type === undefined && check.body.type === undefined)
    check.fail('type is required.');
  const rawChoices = check.array('choices', 100);
  const choices = rawChoices?.map((c, i) => {
    const o = check.object(c, `choices[${i}]`);
    const text = o ? check.str('choice_label', 255, o, `choices[${i}].choice_label`) : undefined;
    return { choice_id: i + 1, choice_label: text ?? '', display_order: i + 1 };
  });
  check.throwIfAny();
  return { label: (label as string).trim(), type, choices };
}
