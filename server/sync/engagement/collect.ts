/**
 * Reading engagement from Constant Contact (issue 9 "Collection"), on the engagement priority of
 * the CC limiter only (cc-policy.ts: ≤ 15 % of the day, and only while the app's total is under
 * 70 %).
 *
 * Campaigns: the campaign summary report (CC §9.2, §9.3 "working recipe") lists sent campaigns
 * newest send first with unique counts per kind, one call per 500 campaigns. A campaign's
 * activities (roles `primary_email` and `resend`, the only ones with tracking reports) are read
 * once (`GET /emails/{id}`) and kept in `engagement_reports`, one row per activity and kind.
 *
 * Reports: a tracking report has no date filter and lists newest first (§9.2), so a scan pages
 * until it meets an event older than the row's watermark (minus an hour, for events CC files
 * late), then moves the watermark to the newest time it saw. A scan cut short (budget, crash)
 * keeps its next page and resumes there; events read twice are one row (`event_key`).
 * A report is read again only when it can hold something new: its unique count in the summary
 * changed, or, for opens and clicks (which repeat without changing unique counts), after an
 * interval that grows with the campaign's age.
 */
import { sql, type Transaction } from 'kysely';
import { isApiError } from '../../api/errors.ts';
import type { DB } from '../../db/schema.ts';
import type { EngagementContext } from './context.ts';
import {
  ENGAGEMENT_KINDS,
  type EngagementEvent,
  type EngagementKind,
  eventOf,
  REPORT_OF,
  type ReportKind,
  SETTING_OF,
  type TrackingRecord,
} from './events.ts';

const DAY_MS = 86_400_000;
/** Events CC files a little late are still met: each scan reaches this far behind its watermark. */
const OVERLAP_MS = 60 * 60_000;
/** Campaigns sent longer ago than this (or the history window, if longer) are not read. */
const TRACK_DAYS = 30;

/** CC calls this run may still make; shared by everything one poll does. */
export interface Spend {
  cc: number;
}

export function enabledKinds(ctx: EngagementContext): EngagementKind[] {
  return ENGAGEMENT_KINDS.filter((k) => ctx.settings[SETTING_OF[k]]);
}

/**
 * How long an opens or clicks report whose unique count did not move rests before it is read
 * again (repeat opens and clicks do not move unique counts): hourly while the campaign is
 * fresh, then every 6 hours, then daily.
 */
export function rereadAfterMs(sentAt: number, now: number): number {
  const age = now - sentAt;
  if (age < 2 * DAY_MS) return 3_600_000;
  if (age < 14 * DAY_MS) return 6 * 3_600_000;
  return DAY_MS;
}

interface Summary {
  lastSentAt: number;
  counts: Record<string, number>;
}

/** One poll's collection: list campaigns, learn new ones, scan the reports that are due. */
export async function collectCampaigns(
  ctx: EngagementContext,
  spend: Spend,
): Promise<{ read: number; reports: number }> {
  const kinds = enabledKinds(ctx);
  if (kinds.length === 0 || spend.cc <= 0) return { read: 0, reports: 0 };
  const now = ctx.now();
  const sentSince = now - Math.max(TRACK_DAYS * DAY_MS, now - ctx.historyStart.getTime() + DAY_MS);
  const summaries = await listSentCampaigns(ctx, spend, sentSince);
  await learnCampaigns(ctx, spend, summaries);

  const rows = await ctx.db
    .selectFrom('engagement_reports')
    .selectAll()
    .where('connection_id', '=', ctx.connectionId)
    .where(
      'kind',
      'in',
      kinds.map((k) => REPORT_OF[k]),
    )
    .execute();
  const due = rows
    .filter((r) => {
      if (r.scan_next !== null) return true;
      const summary = summaries.get(r.campaign_id);
      if (!summary) return false;
      if (r.watermark === null || r.scanned_at === null) return true;
      if ((summary.counts[r.kind] ?? -1) !== r.unique_count) return true;
      return (
        (r.kind === 'opens' || r.kind === 'clicks') &&
        now - r.scanned_at.getTime() >= rereadAfterMs(summary.lastSentAt, now)
      );
    })
    .sort(
      (a, b) =>
        Number(b.scan_next !== null) - Number(a.scan_next !== null) ||
        (b.last_sent_at?.getTime() ?? 0) - (a.last_sent_at?.getTime() ?? 0),
    );
  let read = 0;
  let reports = 0;
  for (const row of due) {
    if (spend.cc <= 0) break;
    read += await scanReport(ctx, spend, row, summaries.get(row.campaign_id));
    reports += 1;
  }
  return { read, reports };
}

async function listSentCampaigns(
  ctx: EngagementContext,
  spend: Spend,
  sentSince: number,
): Promise<Map<string, Summary>> {
  const out = new Map<string, Summary>();
  let next: string | undefined;
  do {
    if (spend.cc <= 0) break;
    spend.cc -= 1;
    const page = await ctx.clients.cc.reporting.campaignSummaries(next);
    let older = false;
    for (const s of page.items) {
      const lastSentAt = Date.parse(s.last_sent_date ?? '');
      // Sorted by last send, newest first (§9.2): the rest is older still.
      if (Number.isNaN(lastSentAt) || lastSentAt < sentSince) {
        older = true;
        break;
      }
      out.set(s.campaign_id, { lastSentAt, counts: s.unique_counts ?? {} });
    }
    next = older ? undefined : page.next;
  } while (next);
  await ctx.db
    .updateTable('engagement_state')
    .set({ campaigns_listed_at: new Date(ctx.now()), updated_at: sql`now()` })
    .where('connection_id', '=', ctx.connectionId)
    .execute();
  return out;
}

/** Reads each campaign not seen before once, for its activity ids and name. */
async function learnCampaigns(
  ctx: EngagementContext,
  spend: Spend,
  summaries: Map<string, Summary>,
): Promise<void> {
  if (summaries.size === 0) return;
  const known = new Set(
    (
      await ctx.db
        .selectFrom('engagement_reports')
        .select('campaign_id')
        .distinct()
        .where('connection_id', '=', ctx.connectionId)
        .where('campaign_id', 'in', [...summaries.keys()])
        .execute()
    ).map((r) => r.campaign_id),
  );
  for (const [campaignId, summary] of summaries) {
    if (known.has(campaignId)) continue;
    if (spend.cc <= 0) return;
    spend.cc -= 1;
    const campaign = await ctx.clients.cc.reporting.campaign(campaignId);
    // §9.2: tracking reports exist only for these roles; `permalink` has none.
    const activities = campaign.campaign_activities.filter(
      (a) => a.role === 'primary_email' || a.role === 'resend',
    );
    const rows = activities.flatMap((a) =>
      ENGAGEMENT_KINDS.map((k) => ({
        connection_id: ctx.connectionId,
        campaign_activity_id: a.campaign_activity_id,
        kind: REPORT_OF[k],
        campaign_id: campaignId,
        campaign_name: campaign.name,
        last_sent_at: new Date(summary.lastSentAt),
      })),
    );
    if (rows.length > 0) {
      await ctx.db
        .insertInto('engagement_reports')
        .values(rows)
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
  }
}

type ReportRow = {
  campaign_activity_id: string;
  kind: string;
  campaign_id: string;
  campaign_name: string;
  watermark: Date | null;
  scan_next: string | null;
  scan_newest: Date | null;
};

/** Scans one report from where it stopped to its watermark. Returns the events new to us. */
async function scanReport(
  ctx: EngagementContext,
  spend: Spend,
  row: ReportRow,
  summary: Summary | undefined,
): Promise<number> {
  const kind = row.kind as ReportKind;
  const stopBefore = Math.max(
    (row.watermark?.getTime() ?? 0) - OVERLAP_MS,
    ctx.historyStart.getTime(),
  );
  let next = row.scan_next ?? undefined;
  let newest = row.scan_newest?.getTime() ?? null;
  let restarted = false;
  let read = 0;
  for (;;) {
    if (spend.cc <= 0) return read;
    spend.cc -= 1;
    let page: Awaited<ReturnType<typeof ctx.clients.cc.reporting.tracking>>;
    try {
      page = await ctx.clients.cc.reporting.tracking(row.campaign_activity_id, kind, next);
    } catch (error) {
      // A stored next-page link CC no longer accepts: start the scan over from the top; what is
      // read again is recognised by its key.
      if (next && !restarted && isApiError(error) && error.status !== undefined) {
        if (error.status >= 400 && error.status < 500 && error.status !== 429) {
          next = undefined;
          newest = null;
          restarted = true;
          continue;
        }
      }
      throw error;
    }
    const events: EngagementEvent[] = [];
    let reachedOld = false;
    for (const record of page.items) {
      const at = Date.parse(record.created_time);
      if (at < stopBefore) {
        reachedOld = true;
        break;
      }
      const event = eventOf(record as TrackingRecord);
      if (!event) continue;
      events.push(event);
      if (newest === null || at > newest) newest = at;
    }
    const done = reachedOld || !page.next;
    const fresh = await ctx.db.transaction().execute(async (trx) => {
      const added = await insertEvents(trx, ctx, events, {
        campaignId: row.campaign_id,
        campaignName: row.campaign_name,
      });
      const where = (q: ReturnType<typeof trx.updateTable<'engagement_reports'>>) =>
        q
          .where('connection_id', '=', ctx.connectionId)
          .where('campaign_activity_id', '=', row.campaign_activity_id)
          .where('kind', '=', row.kind);
      if (done) {
        const watermark = Math.max(row.watermark?.getTime() ?? 0, newest ?? 0);
        await where(
          trx.updateTable('engagement_reports').set({
            watermark: watermark > 0 ? new Date(watermark) : new Date(ctx.historyStart),
            scan_next: null,
            scan_newest: null,
            unique_count: summary?.counts[row.kind] ?? null,
            scanned_at: new Date(ctx.now()),
          }),
        ).execute();
      } else {
        await where(
          trx.updateTable('engagement_reports').set({
            scan_next: page.next ?? null,
            scan_newest: newest === null ? null : new Date(newest),
          }),
        ).execute();
      }
      return added;
    });
    read += fresh;
    if (done) return read;
    next = page.next;
  }
}

/**
 * Stores events once each (by key) with the person to record them on: the linked person of
 * the contact, or none (skipped) when the contact is not linked or its person is gone or
 * outside the rules. A pending event read again takes any detail it lacked (the per-contact
 * report may leave out a click's URL, §9.1).
 */
export async function insertEvents(
  trx: Transaction<DB>,
  ctx: EngagementContext,
  events: readonly EngagementEvent[],
  campaign:
    | { campaignId: string | null; campaignName: string }
    | ((e: EngagementEvent) => {
        campaignId: string | null;
        campaignName: string;
      }),
): Promise<number> {
  const unique = [...new Map(events.map((e) => [e.key, e])).values()].filter(
    (e) => Date.parse(e.occurredAt) >= ctx.historyStart.getTime(),
  );
  if (unique.length === 0) return 0;
  const links = new Map(
    (
      await trx
        .selectFrom('links')
        .select(['contact_id', 'person_id', 'state'])
        .where('connection_id', '=', ctx.connectionId)
        .where('contact_id', 'in', [...new Set(unique.map((e) => e.contactId))])
        .execute()
    ).map((l) => [l.contact_id as string, l]),
  );
  const rows = unique.map((e) => {
    const link = links.get(e.contactId);
    const skip = !link
      ? 'unlinked'
      : link.person_id === null || link.state === 'person_deleted'
        ? 'person_deleted'
        : link.state === 'out_of_rule'
          ? 'out_of_rule'
          : null;
    const info = typeof campaign === 'function' ? campaign(e) : campaign;
    return {
      connection_id: ctx.connectionId,
      event_key: e.key,
      kind: e.kind,
      campaign_activity_id: e.campaignActivityId,
      contact_id: e.contactId,
      person_id: skip ? null : (link?.person_id ?? null),
      occurred_at: new Date(e.occurredAt),
      detail: JSON.stringify({ ...e.detail, ...info }),
      state: skip ? 'skipped' : 'pending',
      skip_reason: skip,
    };
  });
  const inserted = await trx
    .insertInto('engagement_seen')
    .values(rows)
    .onConflict((oc) =>
      oc
        .columns(['connection_id', 'event_key'])
        .doUpdateSet({ detail: sql`excluded.detail || engagement_seen.detail` })
        .where('engagement_seen.state', '=', 'pending'),
    )
    // xmax = 0 on a row this statement inserted (not on one it updated): the new events.
    .returning(sql<boolean>`xmax = 0`.as('inserted'))
    .execute();
  return inserted.filter((r) => r.inserted).length;
}
