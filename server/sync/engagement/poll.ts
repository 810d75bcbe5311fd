/**
 * The engagement jobs (issue 9): `engagement.poll` reads what is new for one connection and
 * records it on the persons; `engagement.contact` reads one contact's own report when a rep
 * opens the person's panel (CC §9.1: one call for one contact, instead of waiting for the
 * campaign scans), then asks for a poll to record it.
 *
 * Budget: every CC call here goes at the `engagement` priority (cc-policy.ts), and one poll
 * makes at most CC_CALLS_PER_POLL of them, so a backlog after downtime is caught up over
 * several polls instead of one long burst. When the engagement share of the day is spent, the
 * limiter refuses and the poll ends where it is, keeping its place for tomorrow.
 */
import { shareInterval } from '../../api/cc-policy.ts';
import { isApiError } from '../../api/errors.ts';
import { ccRateLimits } from '../../constant-contact/provider.ts';
import type { Database } from '../../db/database.ts';
import { ccStatusOf, showCcStatus } from '../engine/cc-status.ts';
import { contactSnapshot } from '../engine/stage.ts';
import { collectCampaigns, enabledKinds, insertEvents, type Spend } from './collect.ts';
import {
  type EngagementContext,
  type EngagementDeps,
  engagementContext,
  markPolled,
} from './context.ts';
import { type EngagementEvent, eventOf, type TrackingRecord } from './events.ts';
import { type RecordCounts, recordPending } from './record.ts';

/** CC calls one poll may make: a summary page, a few new campaigns, a few report pages. */
export const CC_CALLS_PER_POLL = 25;
/** Entries one poll writes to Pipedrive at most; the rest wait for the next poll. */
export const RECORDS_PER_POLL = 500;
/** The engagement share of the day (cc-policy.ts DEFAULT_PRIORITY_SHARES.engagement.maxShare). */
const ENGAGEMENT_SHARE = 0.15;
/** A typical quiet poll: the summary page plus a few changed reports. */
const CALLS_PER_QUIET_POLL = 6;
/** A contact's own report is read again at most this often (panel opens). */
const CONTACT_REFRESH_MS = 10 * 60_000;

export interface PollResult {
  /** Events new to the app (an event read again is not counted). */
  read: number;
  reports: number;
  ccCalls: number;
  recorded: RecordCounts | null;
  /** The engagement share of today's CC budget is spent: the poll stopped early. */
  budgetSpent: boolean;
  /** Nothing was left to read or record: the poll ended within its allowances. */
  caughtUp: boolean;
}

const isBudget = (error: unknown) =>
  isApiError(error) && (error.kind === 'budget' || error.status === 429);

/**
 * An opt-out also shows in the app-managed "Constant Contact status" field (DESIGN §3,
 * engine/cc-status.ts). The event may be old, so the field gets the contact's status as it is
 * now (one CC call; opt-outs are rare), and only when it differs from what was written last.
 */
async function showStatusAfterOptOut(ctx: EngagementContext, personId: number): Promise<void> {
  const link = await ctx.db
    .selectFrom('links')
    .select(['contact_id', 'cc_status'])
    .where('connection_id', '=', ctx.connectionId)
    .where('person_id', '=', personId)
    .executeTakeFirst();
  // Already shown (usually by the CC poll's opt-out pass, which runs more often): no CC call.
  if (!link?.contact_id || link.cc_status === 'Unsubscribed') return;
  let contact: ReturnType<typeof contactSnapshot>;
  try {
    contact = contactSnapshot(await ctx.clients.cc.contacts.get(link.contact_id));
  } catch (error) {
    if (isApiError(error) && error.status === 404) return;
    throw error;
  }
  await showCcStatus(
    { db: ctx.db, clients: ctx.clients, connectionId: ctx.connectionId, logger: ctx.logger },
    { personId, written: link.cc_status },
    ccStatusOf(contact),
  );
}

export async function pollEngagement(
  deps: EngagementDeps,
  job: { connectionId: number; collect?: boolean },
  options: { ccCalls?: number; records?: number } = {},
): Promise<PollResult | null> {
  const ctx = await engagementContext(deps, job.connectionId);
  if (!ctx) return null;
  const spend: Spend = { cc: options.ccCalls ?? CC_CALLS_PER_POLL };
  const start = spend.cc;
  let budgetSpent = false;
  let read = 0;
  let reports = 0;
  if (job.collect !== false) {
    try {
      ({ read, reports } = await collectCampaigns(ctx, spend));
    } catch (error) {
      if (!isBudget(error)) throw error;
      budgetSpent = true;
    }
    await markPolled(ctx);
  }
  const recorded = await recordPending(ctx, {
    max: options.records ?? RECORDS_PER_POLL,
    onOptOut: (r) => showStatusAfterOptOut(ctx, r.personId),
  });
  return {
    read,
    reports,
    ccCalls: start - spend.cc,
    recorded,
    budgetSpent,
    caughtUp:
      !budgetSpent && (job.collect === false || spend.cc > 0) && recorded.stopped === undefined,
  };
}

/**
 * Reads one contact's recent engagement (CC §9.1 `activity_details`, newest first, 100 a page)
 * down to what was read for it before, or the history start. Returns the events new to the app; the
 * caller queues a poll to record them.
 */
export async function collectContact(
  deps: EngagementDeps,
  job: { connectionId: number; contactId: string },
): Promise<number> {
  const ctx = await engagementContext(deps, job.connectionId);
  if (!ctx) return 0;
  const kinds = enabledKinds(ctx);
  if (kinds.length === 0) return 0;
  const seen = await ctx.db
    .selectFrom('engagement_contacts')
    .select(['read_at', 'watermark'])
    .where('connection_id', '=', ctx.connectionId)
    .where('contact_id', '=', job.contactId)
    .executeTakeFirst();
  if (seen && ctx.now() - seen.read_at.getTime() < CONTACT_REFRESH_MS) return 0;
  const stopBefore = Math.max(seen?.watermark?.getTime() ?? 0, ctx.historyStart.getTime());
  const names = new Map(
    (
      await ctx.db
        .selectFrom('engagement_reports')
        .select(['campaign_activity_id', 'campaign_id', 'campaign_name'])
        .distinct()
        .where('connection_id', '=', ctx.connectionId)
        .execute()
    ).map((r) => [r.campaign_activity_id, r]),
  );
  const types = kinds.map((k) => `em_${k === 'optout' ? 'optouts' : `${k}s`}`);
  let newest = seen?.watermark?.getTime() ?? 0;
  let read = 0;
  let next: string | undefined;
  try {
    do {
      const page = await ctx.clients.cc.reporting.contactActivity(job.contactId, types, next);
      const events: EngagementEvent[] = [];
      const activityNames = new Map<string, string>();
      let older = false;
      for (const record of page.items) {
        const at = Date.parse(record.created_time);
        if (at < stopBefore) {
          older = true;
          break;
        }
        const event = eventOf(record as TrackingRecord);
        if (!event) continue;
        events.push(event);
        if (record.campaign_activity_name)
          activityNames.set(record.campaign_activity_id, record.campaign_activity_name);
        if (at > newest) newest = at;
      }
      read += await ctx.db.transaction().execute((trx) =>
        insertEvents(trx, ctx, events, (e) => {
          const known = names.get(e.campaignActivityId);
          return {
            campaignId: known?.campaign_id ?? null,
            campaignName:
              known?.campaign_name ??
              activityNames.get(e.campaignActivityId) ??
              'an email campaign',
          };
        }),
      );
      next = older ? undefined : page.next;
    } while (next);
  } catch (error) {
    // A contact deleted in CC answers 404 (§9.1 fake); its campaign scans still cover it.
    if (isApiError(error) && error.status === 404) return read;
    // The engagement share is spent: the scans catch up later; a panel view is not worth a retry.
    if (isBudget(error)) return read;
    throw error;
  }
  await ctx.db
    .insertInto('engagement_contacts')
    .values({
      connection_id: ctx.connectionId,
      contact_id: job.contactId,
      read_at: new Date(ctx.now()),
      watermark: newest > 0 ? new Date(newest) : null,
    })
    .onConflict((oc) =>
      oc.columns(['connection_id', 'contact_id']).doUpdateSet({
        read_at: (eb) => eb.ref('excluded.read_at'),
        watermark: (eb) => eb.ref('excluded.watermark'),
      }),
    )
    .execute();
  return read;
}

/** Seconds between two engagement polls of one connection, from the engagement share. */
export function engagementIntervalSeconds(
  activeConnections: number,
  perDay: number = ccRateLimits.perDay,
): number {
  return shareInterval({
    connections: activeConnections,
    perDay,
    share: ENGAGEMENT_SHARE,
    callsPerRun: CALLS_PER_QUIET_POLL,
    minSeconds: 300,
  });
}

/** Active connections whose next engagement poll is due (`engagement.poll-due` queues them). */
export async function dueEngagementPolls(
  db: Database,
  now: number,
  perDay?: number,
): Promise<number[]> {
  const active = await db
    .selectFrom('connections')
    .leftJoin('engagement_state', 'engagement_state.connection_id', 'connections.id')
    .select(['connections.id', 'engagement_state.last_poll_at'])
    .where('connections.status', '=', 'active')
    .execute();
  const interval = engagementIntervalSeconds(active.length, perDay) * 1000;
  return active
    .filter((c) => !c.last_poll_at || now - c.last_poll_at.getTime() >= interval)
    .map((c) => c.id);
}
