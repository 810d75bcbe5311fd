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

import { sql } from 'kysely';
import { shareInterval } from '../../api/cc-policy.ts';
import { ccRateLimits } from '../../constant-contact/provider.ts';
import type { Database } from '../../db/database.ts';
import type { SyncAction } from '../core/actions.ts';
import type { ContactSnapshot, PersonSnapshot } from '../core/map.ts';
import { contactMatchesBase } from '../core/map.ts';
import { personEmail } from '../core/normalise.ts';
import { recordError } from './execute.ts';
import {
  loadContext,
  type PersonSyncDeps,
  readPerson,
  showStatusOfLink,
  syncPair,
} from './person.ts';
import { CONTACT_INCLUDE, contactSnapshot } from './stage.ts';

const OVERLAP_MS = 60_000;
/** The part of the daily CC budget polling may use; the rest is for the other priorities. */
const POLL_SHARE_OF_DAY = 0.25;
/** A quiet poll is two list calls (changes, opt-outs); a busy one pages on, so budget three. */
const CALLS_PER_POLL = 3;

export interface CcCursors {
  initialSyncAt?: string;
  ccUpdatedAfter?: string;
  /** The newest `email_address.opt_out_date` seen by the opt-out pass. */
  ccOptoutAfter?: string;
  lastCcPollAt?: string;
}

/** Seconds between two polls of one connection, given how many connections share the app key. */
export function pollIntervalSeconds(
  activeConnections: number,
  perDay: number = ccRateLimits.perDay,
): number {
  return shareInterval({
    connections: activeConnections,
    perDay,
    share: POLL_SHARE_OF_DAY,
    callsPerRun: CALLS_PER_POLL,
    minSeconds: 60,
  });
}

export async function pollConstantContact(
  deps: PersonSyncDeps,
  job: { connectionId: number },
): Promise<{
  contacts: number;
  actions: Partial<Record<SyncAction['kind'], number>>;
  watermark: string | null;
  optoutWatermark: string | null;
}> {
  const none = { contacts: 0, actions: {}, watermark: null, optoutWatermark: null };
  const connection = await deps.db
    .selectFrom('connections')
    .select(['company_id', 'cursors'])
    .where('id', '=', job.connectionId)
    .executeTakeFirst();
  if (!connection) return none;
  const ctx = await loadContext(deps, connection.company_id);
  if (!ctx) return none;
  const cursors = connection.cursors as CcCursors;
  const now = ctx.now();
  const since =
    cursors.ccUpdatedAfter ?? cursors.initialSyncAt ?? new Date(now - 86_400_000).toISOString();
  const optoutSince = cursors.ccOptoutAfter ?? since;
  const actions: Partial<Record<SyncAction['kind'], number>> = {};
  // Contacts met in both passes (changed and opted out) are synced once per poll.
  const synced = new Set<string>();
  const pass = async (
    query: { updated_after: string } | { optout_after: string },
    stamp: (c: ContactSnapshot) => string | null | undefined,
    from: string,
  ): Promise<string> => {
    let newest = from;
    let next: string | undefined;
    do {
      const page = await ctx.clients.cc.contacts.list(
        { ...query, status: ['all'], include: CONTACT_INCLUDE },
        next,
      );
      for (const raw of page.items) {
        const contact = contactSnapshot(raw);
        const at = stamp(contact);
        if (at && at > newest) newest = at;
        if (synced.has(contact.contact_id)) continue;
        synced.add(contact.contact_id);
        for (const kind of await syncContact(deps, ctx, contact))
          actions[kind] = (actions[kind] ?? 0) + 1;
      }
      next = page.next;
    } while (next);
    return newest;
  };
  const watermark = await pass({ updated_after: behind(since) }, (c) => c.updated_at, since);
  // constant-contact-api.md §12: an unsubscribe moves only `email_address.updated_at`, so
  // `updated_after` misses it; `optout_after` finds it.
  const optoutWatermark = await pass(
    { optout_after: behind(optoutSince) },
    (c) => c.email_address?.opt_out_date,
    optoutSince,
  );
  await deps.db
    .updateTable('connections')
    .set({
      cursors: sql`cursors || ${JSON.stringify({
        ccUpdatedAfter: watermark,
        ccOptoutAfter: optoutWatermark,
        lastCcPollAt: new Date(now).toISOString(),
      })}::jsonb`,
    })
    .where('id', '=', job.connectionId)
    .execute();
  return { contacts: synced.size, actions, watermark, optoutWatermark };
}

/** The edge of a watermark, reached a minute behind (see the top of this file). */
function behind(watermark: string): string {
  return new Date(Date.parse(watermark) - OVERLAP_MS).toISOString();
}

/** One contact as the poll met it: linked, matched to its person by email, or created. */
export async function syncContact(
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
  const lists =
    ctx.settings.ccSource.kind === 'lists' ? new Set(ctx.settings.ccSource.listIds) : undefined;
  const inRule = !lists || (contact.list_memberships ?? []).some((id) => lists.has(id));
  if (
    linkRow?.person_id &&
    linkRow.state === 'active' &&
    inRule &&
    contactMatchesBase(
      contact,
      { email: linkRow.email, values: linkRow.base as Record<string, string | null> },
      ctx.fields,
    )
  ) {
    // Nothing for Pipedrive (often the echo of our own write): no need to read the person.
    await showStatusOfLink(deps, ctx, contact, false);
    return ['nothing'];
  }
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
      // That person is linked to another contact (its email moved to this contact's address):
      // this one is not its counterpart, and says so rather than stay unsynced in silence.
      if (taken) {
        await deps.db.transaction().execute((trx) =>
          recordError(
            trx,
            ctx.connectionId,
            { personId: null, contactId: contact.contact_id },
            'EMAIL_COLLISION',
            {
              detail: `Pipedrive person ${personId} has this email but is synced with another contact.`,
            },
          ),
        );
        return ['record_error'];
      }
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
