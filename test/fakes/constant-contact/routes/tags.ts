/**
 * `/v3/contact_tags*` (§7): tags with unique names (1–255 characters, 409 on a duplicate);
 * deleting a tag answers 202 and runs as a `contacts_tags_delete` activity that also removes it
 * from every contact. Optional for the sync (e.g. mapping Pipedrive labels).
 */
import type { FastifyInstance } from 'fastify';
import { ccAccountLimits as A } from '../../../../server/constant-contact/provider.ts';
import type { ActivityRunner } from '../activities.ts';
import { asBody, Checker } from '../contact-input.ts';
import {
  accountOf,
  boolOf,
  encodeCursor,
  type FakeContext,
  limitOf,
  pageQuery,
} from '../context.ts';
import { apiError, notFound } from '../errors.ts';
import type { JsonObject } from '../resource.ts';
import type { AccountStore, TagRecord } from '../store.ts';
import { iso } from '../store.ts';

function tagResource(tag: TagRecord, count?: number): JsonObject {
  const out: JsonObject = {
    tag_id: tag.tag_id,
    name: tag.name,
    created_at: iso(tag.createdAt),
    updated_at: iso(tag.updatedAt),
  };
  if (tag.tag_source !== undefined) out.tag_source = tag.tag_source;
  if (count !== undefined) out.contacts_count = count;
  return out;
}

function tagCounts(account: AccountStore): Map<string, number> {
  const counts = new Map<string, number>();
  for (const c of account.order) {
    if (c.deletedAt !== undefined) continue;
    for (const t of c.taggings ?? []) counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  return counts;
}

function findTag(account: AccountStore, id: string): TagRecord {
  const tag = account.tags.get(id);
  if (!tag) throw notFound(`Tag ${id} not found.`);
  return tag;
}

function parseName(raw: unknown): { name: string; tagSource?: string } {
  const check = new Checker(asBody(raw));
  const name = check.str('name', A.tagNameMaxLength);
  if (name === undefined || name.trim() === '') check.fail('name is required.');
  const tagSource = check.str('tag_source', 255);
  check.throwIfAny();
  return { name: (name as string).trim(), tagSource };
}

export function registerTagRoutes(
  app: FastifyInstance,
  ctx: FakeContext,
  runner: ActivityRunner,
): void {
  app.get('/contact_tags', async (request) => {
    const account = accountOf(ctx, request);
    const { position, query } = pageQuery(request);
    const limit = limitOf(query, A.tagPageSizeMax, A.tagPageSizeDefault);
    const counts = boolOf(query, 'include_count') ? tagCounts(account) : undefined;
    const all = [...account.tags.values()];
    const next = position + limit;
    return {
      tags: all
        .slice(position, next)
        .map((t) => tagResource(t, counts ? (counts.get(t.tag_id) ?? 0) : undefined)),
      _links:
        next < all.length
          ? { next: { href: `/v3/contact_tags?cursor=${encodeCursor(next, query)}` } }
          : {},
    };
  });

  app.post('/contact_tags', async (request, reply) => {
    const account = accountOf(ctx, request);
    const { name, tagSource } = parseName(request.body);
    if ([...account.tags.values()].some((t) => t.name === name)) {
      throw apiError(409, 'contacts.api.conflict', `A tag named ${name} already exists.`);
    }
    const now = ctx.clock.now();
    const tag: TagRecord = {
      tag_id: ctx.store.uuid(),
      name,
      tag_source: tagSource,
      createdAt: now,
      updatedAt: now,
    };
    account.tags.set(tag.tag_id, tag);
    return reply.code(201).send(tagResource(tag));
  });

  app.get<{ Params: { id: string } }>('/contact_tags/:id', async (request) => {
    const account = accountOf(ctx, request);
    const tag = findTag(account, request.params.id);
    const counts = boolOf(request.query as Record<string, string>, 'include_count')
      ? tagCounts(account)
      : undefined;
    return tagResource(tag, counts ? (counts.get(tag.tag_id) ?? 0) : undefined);
  });

  app.put<{ Params: { id: string } }>('/contact_tags/:id', async (request) => {
    const account = accountOf(ctx, request);
    const tag = findTag(account, request.params.id);
    const { name } = parseName(request.body);
    if ([...account.tags.values()].some((t) => t.name === name && t !== tag)) {
      throw apiError(409, 'contacts.api.conflict', `A tag named ${name} already exists.`);
    }
    tag.name = name;
    tag.updatedAt = ctx.clock.now();
    return tagResource(tag);
  });

  app.delete<{ Params: { id: string } }>('/contact_tags/:id', async (request, reply) => {
    const account = accountOf(ctx, request);
    const tag = findTag(account, request.params.id);
    const body = runner.enqueue(
      account,
      'contacts_tags_delete',
      { source: {}, tagIds: [tag.tag_id] },
      1,
    );
    return reply.code(202).send(body);
  });
}
