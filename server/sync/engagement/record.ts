/**
 * Writing engagement on the Pipedrive person (issue 9 "Recording"): one activity per event
 * (done, dated when it happened, the person as primary participant, of the app's own type), or
 * one note, when the admin chose notes or the company cannot create activity types.
 *
 * Exactly once: each event is a row in `engagement_seen`. Before the call the row turns
 * `sending` (committed), after it `recorded` with the Pipedrive id. A row still `sending` when
 * the recorder starts was interrupted between the two (crash, timeout, lost answer): the
 * person's recent activities or notes are searched for the event's ref (events.ts) and the row
 * is settled from what is there, instead of writing again. Recording runs only inside the
 * connection's `engagement.poll` job (one per connection at a time, jobs/queues.ts), so two
 * recorders never settle the same row.
 */
import { sql } from 'kysely';
import { isApiError } from '../../api/errors.ts';
import type { PipedriveClient } from '../../pipedrive/client.ts';
import type { EngagementContext } from './context.ts';
import {
  ACTIVITY_TYPES,
  ENGAGEMENT_KINDS,
  type EngagementKind,
  entryOf,
  eventRef,
  inBurst,
  SETTING_OF,
} from './events.ts';

/** A reconciling search looks at what changed on the person since a little before the intent. */
const RECONCILE_SLACK_MS = 5 * 60_000;

export type EntryMode =
  | { as: 'note'; reason: string }
  | { as: 'activity'; types: Map<EngagementKind, string> };

export interface RecordCounts {
  recorded: number;
  activities: number;
  notes: number;
  skipped: number;
  merged: number;
  reconciled: number;
  /** Why the run stopped before the queue was empty, if it did. */
  stopped?: 'budget' | 'limit';
}

/**
 * Activities when the admin wants them and the company can have the app's types; otherwise
 * notes. Types are created once per company (pipedrive-api.md §8.2): found by name first, so a
 * reinstall or a crash after the create does not make a second "Email opened".
 */
export async function entryMode(ctx: EngagementContext): Promise<EntryMode> {
  if (ctx.settings.recordAs === 'notes') return { as: 'note', reason: 'chosen' };
  if (ctx.notesReason) return { as: 'note', reason: ctx.notesReason };
  const installation = await ctx.db
    .selectFrom('installations')
    .select('scopes')
    .where('company_id', '=', ctx.companyId)
    .where('status', '=', 'active')
    .orderBy('updated_at', 'desc')
    .executeTakeFirst();
  // §3.7: only `admin` may create activity types. An empty list means "not known" (older rows).
  const scopes = installation?.scopes ?? [];
  if (scopes.length > 0 && !scopes.includes('admin')) return noAdmin(ctx);

  return ctx.db
    .transaction()
    .execute(async (trx) => {
      // One company, one set of types, even with a panel-triggered poll racing a scheduled one.
      await sql`SELECT pg_advisory_xact_lock(hashtext(${`engagement-types:${ctx.companyId}`}))`.execute(
        trx,
      );
      const stored = await trx
        .selectFrom('engagement_activity_types')
        .select(['kind', 'key_string'])
        .where('company_id', '=', ctx.companyId)
        .execute();
      const types = new Map(stored.map((t) => [t.kind as EngagementKind, t.key_string]));
      const missing = ENGAGEMENT_KINDS.filter((k) => !types.has(k));
      if (missing.length === 0) return { as: 'activity' as const, types };
      const existing = await ctx.clients.pipedrive.activityTypes.list();
      for (const kind of missing) {
        const wanted = ACTIVITY_TYPES[kind];
        let type = existing.find((t) => t.name === wanted.name && t.active_flag !== false);
        if (!type) {
          try {
            type = await ctx.clients.pipedrive.activityTypes.create(wanted);
          } catch (error) {
            // §3.7: a non-admin install gets 403 on POST /activityTypes, whatever its scopes.
            if (isApiError(error) && error.status === 403) return null;
            throw error;
          }
        }
        await trx
          .insertInto('engagement_activity_types')
          .values({
            company_id: ctx.companyId,
            kind,
            type_id: type.id,
            key_string: type.key_string,
          })
          .onConflict((oc) => oc.columns(['company_id', 'kind']).doNothing())
          .execute();
        types.set(kind, type.key_string);
      }
      return { as: 'activity' as const, types };
    })
    .then((mode) => mode ?? noAdmin(ctx));
}

async function noAdmin(ctx: EngagementContext): Promise<EntryMode> {
  await ctx.db
    .updateTable('engagement_state')
    .set({ notes_reason: 'no_admin', updated_at: sql`now()` })
    .where('connection_id', '=', ctx.connectionId)
    .execute();
  ctx.logger.warn(
    { connectionId: ctx.connectionId },
    'engagement is recorded as notes: the installation cannot create activity types',
  );
  return { as: 'note', reason: 'no_admin' };
}

interface SeenRow {
  id: number;
  event_key: string;
  kind: string;
  contact_id: string;
  campaign_activity_id: string;
  person_id: number | null;
  occurred_at: Date;
  detail: unknown;
  recorded_as: string | null;
  intent_at: Date | null;
}

interface Detail {
  campaignName?: string;
  linkUrl?: string;
  deviceType?: string;
  bounceCode?: string;
  optOutReason?: string;
}

function entryFor(row: SeenRow) {
  const detail = (row.detail ?? {}) as Detail;
  return entryOf({
    kind: row.kind as EngagementKind,
    occurredAt: row.occurred_at.toISOString(),
    detail,
    campaignName: detail.campaignName ?? 'an email campaign',
    key: row.event_key,
  });
}

/**
 * Settles interrupted rows, then records pending ones (oldest first, at most `max`).
 * `onOptOut` runs after an opt-out is recorded (the "Constant Contact status" field).
 */
export async function recordPending(
  ctx: EngagementContext,
  options: { max: number; onOptOut?: (row: { personId: number }) => Promise<void> },
): Promise<RecordCounts> {
  const counts: RecordCounts = {
    recorded: 0,
    activities: 0,
    notes: 0,
    skipped: 0,
    merged: 0,
    reconciled: 0,
  };
  const select = () =>
    ctx.db
      .selectFrom('engagement_seen')
      .select([
        'id',
        'event_key',
        'kind',
        'contact_id',
        'campaign_activity_id',
        'person_id',
        'occurred_at',
        'detail',
        'recorded_as',
        'intent_at',
      ])
      .where('connection_id', '=', ctx.connectionId);

  for (const row of await select().where('state', '=', 'sending').execute()) {
    const found = await findByRef(ctx.clients.pipedrive, row);
    if (found !== null) {
      await settle(ctx, row.id, row.recorded_as as 'activity' | 'note', found);
      counts.reconciled += 1;
    } else {
      await ctx.db
        .updateTable('engagement_seen')
        .set({ state: 'pending' })
        .where('id', '=', row.id)
        .where('state', '=', 'sending')
        .execute();
    }
  }

  const pending = await select()
    .where('state', '=', 'pending')
    .orderBy('occurred_at')
    .orderBy('id')
    .limit(options.max + 1)
    .execute();
  if (pending.length === 0) return counts;
  const mode = await entryMode(ctx);
  for (const [index, row] of pending.entries()) {
    if (index === options.max) {
      counts.stopped = 'limit';
      break;
    }
    const kind = row.kind as EngagementKind;
    if (!ctx.settings[SETTING_OF[kind]] || row.person_id === null) {
      await skip(ctx, row.id, row.person_id === null ? 'unlinked' : 'kind_off');
      counts.skipped += 1;
      continue;
    }
    if (kind === 'open' && ctx.settings.openBursts && (await joinBurst(ctx, row))) {
      counts.merged += 1;
      continue;
    }
    const as = mode.as;
    const intent = await ctx.db
      .updateTable('engagement_seen')
      .set({
        state: 'sending',
        recorded_as: as,
        intent_at: new Date(ctx.now()),
        attempts: sql`attempts + 1`,
      })
      .where('id', '=', row.id)
      .where('state', '=', 'pending')
      .executeTakeFirst();
    if (intent.numUpdatedRows === 0n) continue;
    const entry = entryFor(row);
    let id: number;
    try {
      id =
        mode.as === 'activity'
          ? (
              await ctx.clients.pipedrive.activities.create({
                subject: entry.subject,
                type: mode.types.get(kind) as string,
                done: true,
                due_date: entry.dueDate,
                due_time: entry.dueTime,
                // §8.1: person_id is read-only in v2 per the migration guide; the primary
                // participant sets it. Both are sent, as the reference advises.
                person_id: row.person_id,
                participants: [{ person_id: row.person_id, primary: true }],
                note: entry.note,
              } as Parameters<PipedriveClient['activities']['create']>[0])
            ).id
          : (
              await ctx.clients.pipedrive.notes.create({
                content: `<p><b>${entry.subject.replace(/[<>&]/g, '')}</b></p>${entry.note}`,
                person_id: row.person_id,
                add_time: entry.addTime,
              } as Parameters<PipedriveClient['notes']['create']>[0])
            ).id;
    } catch (error) {
      const outcome = await failure(ctx, row, error);
      if (outcome === 'skipped') {
        counts.skipped += 1;
        continue;
      }
      if (outcome === 'budget') {
        counts.stopped = 'budget';
        return counts;
      }
      throw error;
    }
    await settle(ctx, row.id, as, id);
    counts.recorded += 1;
    if (as === 'activity') counts.activities += 1;
    else counts.notes += 1;
    if (kind === 'optout' && options.onOptOut) await options.onOptOut({ personId: row.person_id });
  }
  return counts;
}

async function settle(
  ctx: EngagementContext,
  id: number,
  as: 'activity' | 'note',
  pipedriveId: number,
): Promise<void> {
  await ctx.db
    .updateTable('engagement_seen')
    .set({
      state: 'recorded',
      recorded_as: as,
      pipedrive_id: pipedriveId,
      recorded_at: new Date(ctx.now()),
    })
    .where('id', '=', id)
    .execute();
}

async function skip(ctx: EngagementContext, id: number, reason: string): Promise<void> {
  await ctx.db
    .updateTable('engagement_seen')
    .set({ state: 'skipped', skip_reason: reason.slice(0, 300) })
    .where('id', '=', id)
    .execute();
}

/** An open within the burst of an open already recorded is folded into it. */
async function joinBurst(ctx: EngagementContext, row: SeenRow): Promise<boolean> {
  const head = await ctx.db
    .selectFrom('engagement_seen')
    .select(['occurred_at', 'pipedrive_id', 'recorded_as'])
    .where('connection_id', '=', ctx.connectionId)
    .where('contact_id', '=', row.contact_id)
    .where('campaign_activity_id', '=', row.campaign_activity_id)
    .where('kind', '=', 'open')
    .where('state', '=', 'recorded')
    .where('occurred_at', '<=', row.occurred_at)
    .orderBy('occurred_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!head || !inBurst(head.occurred_at.toISOString(), row.occurred_at.toISOString()))
    return false;
  await ctx.db
    .updateTable('engagement_seen')
    .set({
      state: 'merged',
      pipedrive_id: head.pipedrive_id,
      recorded_as: head.recorded_as,
      recorded_at: new Date(ctx.now()),
    })
    .where('id', '=', row.id)
    .where('state', '=', 'pending')
    .execute();
  return true;
}

/**
 * What a failed write means for its row:
 * - our own limiter refused (nothing was sent), or Pipedrive said 429 → back to pending, stop;
 * - Pipedrive refused the entry (4xx): the person is gone → skipped; otherwise skipped with
 *   Pipedrive's reason, so one bad entry cannot hold up the rest (it is logged);
 * - anything else (network, timeout, 5xx): unknown whether it landed; the row stays `sending`
 *   and the next run settles it by its ref.
 */
async function failure(
  ctx: EngagementContext,
  row: SeenRow,
  error: unknown,
): Promise<'budget' | 'skipped' | 'unknown'> {
  if (isApiError(error) && (error.kind === 'budget' || error.status === 429)) {
    await ctx.db
      .updateTable('engagement_seen')
      .set({ state: 'pending' })
      .where('id', '=', row.id)
      .execute();
    return 'budget';
  }
  if (isApiError(error) && error.kind === 'http' && error.status !== undefined) {
    if (error.status >= 400 && error.status < 500) {
      const gone = await personGone(ctx.clients.pipedrive, row.person_id as number);
      await skip(ctx, row.id, gone ? 'person_deleted' : `rejected: ${error.message}`);
      if (!gone) {
        ctx.logger.warn(
          { connectionId: ctx.connectionId, event: row.id, status: error.status, err: error },
          'Pipedrive refused an engagement entry',
        );
      }
      return 'skipped';
    }
  }
  return 'unknown';
}

async function personGone(pipedrive: PipedriveClient, personId: number): Promise<boolean> {
  try {
    return (await pipedrive.persons.get({ id: personId })).is_deleted === true;
  } catch (error) {
    if (isApiError(error) && (error.status === 404 || error.status === 410)) return true;
    throw error;
  }
}

/** The Pipedrive id of the entry carrying this event's ref, or null if there is none. */
async function findByRef(pipedrive: PipedriveClient, row: SeenRow): Promise<number | null> {
  if (row.person_id === null) return null;
  const ref = eventRef(row.event_key);
  if (row.recorded_as === 'note') {
    let start: number | null = 0;
    while (start !== null) {
      const page = await pipedrive.notes.list({ person_id: row.person_id, start });
      const hit = page.items.find((n) => n.content.includes(ref));
      if (hit) return hit.id;
      start = page.nextStart;
    }
    return null;
  }
  const since = new Date((row.intent_at?.getTime() ?? 0) - RECONCILE_SLACK_MS);
  let cursor: string | undefined;
  do {
    const page = await pipedrive.activities.list({
      person_id: row.person_id,
      updated_since: since.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      ...(cursor ? { cursor } : {}),
    });
    const hit = page.items.find((a) => String((a as { note?: unknown }).note ?? '').includes(ref));
    if (hit) return hit.id;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return null;
}
