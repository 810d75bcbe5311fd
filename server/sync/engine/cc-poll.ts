/**
 * Constant Contact → Pipedrive in minutes (DESIGN §3 "Continuous sync"): CC has no contact
 * webhooks, so each active connection is polled with `updated_after` (constant-contact-api.md
 * §12). The watermark only moves forward, to the newest `updated_at` seen, and each poll reaches
 * a minute behind it: contacts met twice at the edge plan nothing the second time (their values
 * equal the link's base), so no change is skipped and none is applied twice.
 *
 * How often: the continuous share of the day's CC budget, split between the active
 * connections, at the calls one poll costs — never more often than once a minute.
 */

import { ccRateLimits } from '../../constant-contact/provider.ts';
import type { Database } from '../../db/database.ts';
import type { SyncAction } from '../core/actions.ts';
import type { PersonSnapshot } from '../core/map.ts';
import { personEmail } from '../core/normalise.ts';
import { loadContext, type PersonSyncDeps, readPerson, syncPair } from './person.ts';
import { CONTACT_INCLUDE, contactSnapshot } from './stage.ts';

const OVERLAP_MS = 60_000;
/** The part of the daily CC budget polling may use; the rest is for the other priorities. */
const POLL_SHARE_OF_DAY = 0.25;
/** A quiet poll is one list call; a busy one pages on, so budget two. */
const CALLS_PER_POLL = 2;

export interface CcCursors {
  initialSyncAt?: string;
  ccUpdatedAfter?: string;
  lastCcPollAt?: string;
}

/** Seconds between two polls of one connection, given how many connections share the app key. */
export function pollIntervalSeconds(
  activeConnections: number,
  perDay: number = ccRateLimits.perDay,
): number {
  const pollsPerDay = (perDay * POLL_SHARE_OF_DAY) / CALLS_PER_POLL;
  return Math.max(60, Math.ceil((86_400 * Math.max(1, activeConnections)) / pollsPerDay));
}

export async function pollConstantContact(
  deps: PersonSyncDeps,
  job: { connectionId: number },
): Promise<{
  contacts: number;
  actions: Partial<Record<SyncAction['kind'], number>>;
  watermark: string | null;
}> {
  const connection = await deps.db
    .selectFrom('connections')
    .select(['company_id', 'cursors'])
    .where('id', '=', job.connectionId)
    .executeTakeFirst();
  if (!connection) return { contacts: 0, actions: {}, watermark: null };
  const ctx = await loadContext(deps, connection.company_id);
  if (!ctx) return { contacts: 0, actions: {}, watermark: null };
  const cursors = connection.cursors as CcCursors;
  const now = ctx.now();
  const since =
    cursors.ccUpdatedAfter ?? cursors.initialSyncAt ?? new Date(now - 86_400_000).toISOString();
  let newest = since;
  let seen = 0;
  const actions: Partial<Record<SyncAction['kind'], number>> = {};
  let next: string | undefined;
  do {
    const page = await ctx.clients.cc.contacts.list(
      {
        updated_after: new Date(Date.parse(since) - OVERLAP_MS).toISOString(),
        status: ['all'],
        include: CONTACT_INCLUDE,
      },
      next,
    );
    for (const raw of page.items) {
      const contact = contactSnapshot(raw);
      seen += 1;
      if (contact.updated_at && contact.updated_at > newest) newest = contact.updated_at;
      for (const kind of await syncContact(deps, ctx, contact))
        actions[kind] = (actions[kind] ?? 0) + 1;
    }
    next = page.next;
  } while (next);
  await deps.db
    .updateTable('connections')
    .set({
      cursors: JSON.stringify({
        ...cursors,
        ccUpdatedAfter: newest,
        lastCcPollAt: new Date(now).toISOString(),
      }),
    })
    .where('id', '=', job.connectionId)
    .execute();
  return { contacts: seen, actions, watermark: newest };
}

async function syncContact(
  deps: PersonSyncDeps,
  ctx: NonNullable<Awaited<ReturnType<typeof loadContext>>>,
  contact: ReturnType<typeof contactSnapshot>,
): Promise<SyncAction['kind'][]> {
  const linkRow = await deps.db
    .selectFrom('links')
    .selectAll()
    .where('connection_id', '=', ctx.connectionId)
    .where('contact_id', '=', contact.contact_id)
    .executeTakeFirst();
  let personId = linkRow?.person_id ?? null;
  let person = personId !== null ? await readPerson(ctx.clients, personId, ctx.fields) : null;
  if (!linkRow) {
    // Not linked yet: the search finds every person carrying the email anywhere, but only a
    // person whose primary email it is may match (DESIGN §3); the oldest of them owns it.
    const email = contact.email_address?.address?.toLowerCase();
    const found = email ? await ctx.clients.pipedrive.persons.searchByEmail(email) : [];
    const candidates: PersonSnapshot[] = [];
    for (const { id } of found) {
      const candidate = await readPerson(ctx.clients, id, ctx.fields);
      const primary = candidate ? personEmail(candidate.emails) : undefined;
      if (candidate && primary?.ok && primary.email === email) candidates.push(candidate);
    }
    person =
      candidates.sort(
        (a, b) => (a.add_time ?? '').localeCompare(b.add_time ?? '') || a.id - b.id,
      )[0] ?? null;
    personId = person?.id ?? null;
    if (personId !== null) {
      const taken = await deps.db
        .selectFrom('links')
        .select('id')
        .where('connection_id', '=', ctx.connectionId)
        .where('person_id', '=', personId)
        .executeTakeFirst();
      // That person is linked to another contact: this one is not its counterpart.
      if (taken) return ['nothing'];
    }
  }
  return syncPair(deps, ctx, { personId, person, contact, linkRow });
}

/** Active connections whose next poll is due (the scheduled `cc.poll-due` job enqueues them). */
export async function duePolls(db: Database, now: number, perDay?: number): Promise<number[]> {
  const active = await db
    .selectFrom('connections')
    .select(['id', 'cursors'])
    .where('status', '=', 'active')
    .execute();
  const interval = pollIntervalSeconds(active.length, perDay) * 1000;
  return active
    .filter((c) => {
      const last = (c.cursors as CcCursors).lastCcPollAt;
      return !last || now - Date.parse(last) >= interval;
    })
    .map((c) => c.id);
}
