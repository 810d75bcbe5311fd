/**
 * `/v3/contacts*` (§4, §5): listing with the documented filters and cursor paging, single
 * reads, create/PUT/delete, sign_up_form, counts and resubscribe.
 */
import type { FastifyInstance } from 'fastify';
import { ccContactLimits as L } from '../../../../server/constant-contact/provider.ts';
import { parseContactBody } from '../contact-input.ts';
import { createContact, putContact, softDelete } from '../contacts.ts';
import {
  accountOf,
  boolOf,
  dateOf,
  encodeCursor,
  type FakeContext,
  limitOf,
  many,
  one,
  pageQuery,
  type Query,
} from '../context.ts';
import { apiError, notFound, validationError } from '../errors.ts';
import { type ContactInclude, contactResource, type JsonObject } from '../resource.ts';
import { parseSignUpBody, signUp } from '../sign-up.ts';
import type { AccountStore, ContactRecord } from '../store.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function includesOf(query: Query): Set<ContactInclude> {
  const out = new Set<ContactInclude>();
  for (const item of many(query, 'include')) {
    if (!(L.includes as readonly string[]).includes(item)) {
      throw validationError([`include does not have a valid value: ${item}`]);
    }
    out.add(item as ContactInclude);
  }
  return out;
}

export function findContact(account: AccountStore, id: string): ContactRecord {
  if (!UUID.test(id)) throw notFound('contact_id is in an invalid format.');
  const contact = account.contacts.get(id);
  if (!contact) throw notFound(`Contact ${id} not found.`);
  return contact;
}

type Predicate = (c: ContactRecord) => boolean;

/** Builds the filter of `GET /contacts` (§4.2); the default leaves deleted contacts out. */
function contactFilter(ctx: FakeContext, query: Query): Predicate {
  const statuses = many(query, 'status');
  for (const s of statuses) {
    if (!(L.statuses as readonly string[]).includes(s)) {
      throw validationError([`status does not have a valid value: ${s}`]);
    }
  }
  const lists = many(query, 'lists');
  if (lists.length > L.listsFilterMax)
    throw validationError(['lists accepts at most 25 list ids.']);
  const ranges: Array<
    [(c: ContactRecord) => number | undefined, number | undefined, number | undefined]
  > = [
    [(c) => c.updatedAt, dateOf(query, 'updated_after'), dateOf(query, 'updated_before')],
    [(c) => c.createdAt, dateOf(query, 'created_after'), dateOf(query, 'created_before')],
    [
      (c) => (c.email?.permission === 'unsubscribed' ? c.email.optOutDate : undefined),
      dateOf(query, 'optout_after'),
      dateOf(query, 'optout_before'),
    ],
  ];
  const active = ranges.filter(([, after, before]) => after !== undefined || before !== undefined);
  // §12 (UNCONFIRMED): changes newer than the lag are not yet visible to date filters.
  const visibleUntil = ctx.clock.now() - ctx.store.behaviour.visibilityLagMs;
  const statusOk = (c: ContactRecord): boolean => {
    if (statuses.length === 0) return c.deletedAt === undefined;
    return statuses.some((s) => {
      if (s === 'all') return true;
      if (s === 'deleted') return c.deletedAt !== undefined;
      if (c.deletedAt !== undefined) return false;
      const p = c.email?.permission;
      if (s === 'active') return p === 'explicit' || p === 'implicit' || p === undefined;
      return p === s;
    });
  };
  return (c) => {
    if (!statusOk(c)) return false;
    if (lists.length > 0 && !(c.list_memberships ?? []).some((id) => lists.includes(id)))
      return false;
    for (const [get, after, before] of active) {
      const t = get(c);
      if (t === undefined || t > visibleUntil) return false;
      if (after !== undefined && t <= after) return false;
      if (before !== undefined && t >= before) return false;
    }
    return true;
  };
}

function listContacts(
  ctx: FakeContext,
  account: AccountStore,
  position: number,
  query: Query,
): JsonObject {
  const limit = limitOf(query, L.pageSizeMax, L.pageSizeDefault);
  const include = includesOf(query);
  const filter = contactFilter(ctx, query);
  const email = one(query, 'email');
  // An email lookup is an index hit, not a scan.
  const candidates =
    email === undefined
      ? account.order
      : [account.findByEmail(email)].filter((c) => c !== undefined);
  const page: JsonObject[] = [];
  let next: number | undefined;
  for (let i = position; i < candidates.length; i++) {
    const c = candidates[i] as ContactRecord;
    if (!filter(c)) continue;
    if (page.length === limit) {
      next = i;
      break;
    }
    page.push(contactResource(c, include));
  }
  const body: JsonObject = { contacts: page };
  if (boolOf(query, 'include_count')) {
    let count = 0;
    for (const c of candidates) if (filter(c)) count++;
    body.contacts_count = count;
  }
  body._links =
    next === undefined
      ? {}
      : { next: { href: `/v3/contacts?cursor=${encodeCursor(next, query)}` } };
  return body;
}

export function registerContactRoutes(app: FastifyInstance, ctx: FakeContext): void {
  app.get('/contacts', async (request) => {
    const account = accountOf(ctx, request);
    const { position, query } = pageQuery(request);
    if (one(query, 'segment_id') !== undefined) {
      throw validationError(['segment_id is not supported by this fake.']);
    }
    return listContacts(ctx, account, position, query);
  });

  app.get('/contacts/counts', async (request) => {
    const account = accountOf(ctx, request);
    const counts = { total: 0, explicit: 0, implicit: 0, pending: 0, unsubscribed: 0 };
    for (const c of account.order) {
      if (c.deletedAt !== undefined) continue;
      counts.total++;
      const p = c.email?.permission;
      if (p === 'explicit') counts.explicit++;
      else if (p === 'implicit') counts.implicit++;
      else if (p === 'pending_confirmation') counts.pending++;
      else if (p === 'unsubscribed') counts.unsubscribed++;
    }
    return counts;
  });

  app.get<{ Params: { id: string } }>('/contacts/:id', async (request) => {
    const account = accountOf(ctx, request);
    const include = includesOf(request.query as Query);
    return contactResource(findContact(account, request.params.id), include);
  });

  app.post('/contacts', async (request, reply) => {
    const account = accountOf(ctx, request);
    const input = parseContactBody(request.body, 'post', account, ctx.store.behaviour);
    const contact = createContact(ctx.store, account, input, ctx.clock.now());
    return reply.code(201).send(contactResource(contact, new Set(L.includes)));
  });

  app.put<{ Params: { id: string } }>('/contacts/:id', async (request) => {
    const account = accountOf(ctx, request);
    const contact = findContact(account, request.params.id);
    const input = parseContactBody(request.body, 'put', account, ctx.store.behaviour);
    putContact(ctx.store, account, contact, input, ctx.clock.now());
    return contactResource(contact, new Set(L.includes));
  });

  app.delete<{ Params: { id: string } }>('/contacts/:id', async (request, reply) => {
    const account = accountOf(ctx, request);
    softDelete(ctx.store, findContact(account, request.params.id), ctx.clock.now());
    return reply.code(204).send();
  });

  app.post('/contacts/sign_up_form', async (request, reply) => {
    const account = accountOf(ctx, request);
    const input = parseSignUpBody(request.body, account, ctx.store.behaviour);
    const { contact, created } = signUp(ctx.store, account, input, ctx.clock.now());
    return reply
      .code(created ? 201 : 200)
      .send({ contact_id: contact.contact_id, action: created ? 'created' : 'updated' });
  });

  // §4.7: sends a one-time confirmation email; the contact stays unsubscribed until the control
  // surface confirms it.
  app.put<{ Params: { id: string } }>('/contacts/resubscribe/:id', async (request) => {
    const account = accountOf(ctx, request);
    const contact = findContact(account, request.params.id);
    if (contact.email?.permission !== 'unsubscribed') {
      throw validationError(['Contact is not unsubscribed.']);
    }
    if (account.resubscribeRequested.has(contact.contact_id)) {
      throw apiError(
        409,
        'contacts.api.conflict',
        'A resubscribe email was already sent to this contact.',
      );
    }
    const body = (request.body ?? {}) as { list_ids?: unknown };
    if (!Array.isArray(body.list_ids) || body.list_ids.length === 0) {
      throw validationError(['list_ids is required.']);
    }
    account.resubscribeRequested.set(contact.contact_id, body.list_ids.map(String));
    return {};
  });
}
