/**
 * Campaigns and reporting (§9): `/v3/emails*`, per-campaign-activity tracking reports (newest
 * first, `limit` ≤ 500, paging links, no date filter), per-contact activity details, the
 * campaign summaries, and `/v3/account/summary`. Reporting errors are `StatsError` objects.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ccReporting as R } from '../../../../server/constant-contact/provider.ts';
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
import { CcHttpError, notFound, validationError } from '../errors.ts';
import type { JsonObject } from '../resource.ts';
import type { AccountStore, CampaignRecord, TrackingEvent } from '../store.ts';
import { iso, isoDate } from '../store.ts';

const TYPE_OF: Record<string, string> = {
  sends: 'em_sends',
  opens: 'em_opens',
  unique_opens: 'em_opens',
  didnotopens: 'em_didnotopens',
  clicks: 'em_clicks',
  forwards: 'em_forwards',
  optouts: 'em_optouts',
  bounces: 'em_bounces',
};

function statsError(status: number, message: string): CcHttpError {
  return new CcHttpError(status, {
    error_key: 'reportingsvc.request.invalid',
    error_message: message,
  });
}

function visible(ctx: FakeContext, events: TrackingEvent[]): TrackingEvent[] {
  const days = ctx.store.behaviour.trackingMaxAgeDays;
  if (days === null) return events;
  const cutoff = ctx.clock.now() - days * 86_400_000;
  return events.filter((e) => e.at >= cutoff);
}

function trackingRecord(account: AccountStore, e: TrackingEvent, kind: string): JsonObject {
  const contact = account.contacts.get(e.contactId);
  const out: JsonObject = {
    contact_id: e.contactId,
    campaign_activity_id: e.campaignActivityId,
    tracking_activity_type: TYPE_OF[kind] ?? `em_${kind}`,
    email_address: e.emailAddress,
    created_time: iso(e.at),
  };
  if (contact?.first_name !== undefined) out.first_name = contact.first_name;
  if (contact?.last_name !== undefined) out.last_name = contact.last_name;
  if (contact?.deletedAt !== undefined) out.deleted_at = isoDate(contact.deletedAt);
  if (e.deviceType !== undefined && kind !== 'didnotopens') out.device_type = e.deviceType;
  if (kind === 'clicks') {
    out.url_id = e.urlId ?? '';
    out.link_url = e.linkUrl ?? '';
  }
  if (kind === 'optouts') out.opt_out_reason = e.optOutReason ?? '';
  if (kind === 'bounces') {
    out.bounce_code = e.bounceCode ?? 'X';
    out.current_email_address = contact?.email?.address ?? e.emailAddress;
  }
  return out;
}

function eventsFor(kind: string, events: TrackingEvent[], query: Query): TrackingEvent[] {
  if (kind === 'unique_opens') {
    // One row per contact: the first open, listed newest first like the rest.
    const first = new Map<string, TrackingEvent>();
    for (const e of events) if (e.kind === 'opens') first.set(e.contactId, e);
    return events.filter((e) => e.kind === 'opens' && first.get(e.contactId) === e);
  }
  if (kind === 'didnotopens') {
    const opened = new Set(events.filter((e) => e.kind === 'opens').map((e) => e.contactId));
    return events.filter((e) => e.kind === 'sends' && !opened.has(e.contactId));
  }
  const urlId = one(query, 'url_id');
  const codes = many(query, 'bounce_code');
  return events.filter(
    (e) =>
      e.kind === kind &&
      (urlId === undefined || e.urlId === urlId) &&
      (codes.length === 0 || codes.includes(e.bounceCode ?? '')),
  );
}

function campaignResource(c: CampaignRecord): JsonObject {
  return {
    campaign_id: c.campaign_id,
    name: c.name,
    current_status: c.status,
    type: 'NEWSLETTER',
    type_code: 10,
    created_at: iso(c.createdAt),
    updated_at: iso(c.updatedAt),
  };
}

function page<T>(items: T[], position: number, limit: number, path: string, query: Query) {
  const next = position + limit;
  return {
    items: items.slice(position, next),
    links:
      next < items.length ? { next: { href: `${path}?cursor=${encodeCursor(next, query)}` } } : {},
  };
}

export function registerReportingRoutes(app: FastifyInstance, ctx: FakeContext): void {
  app.get('/account/summary', async (request) => {
    const account = accountOf(ctx, request);
    return {
      encoded_account_id: account.accountId,
      organization_name: account.organizationName,
      contact_email: account.contactEmail,
      time_zone_id: 'UTC',
      country_code: 'US',
    };
  });

  app.get('/emails', async (request) => {
    const account = accountOf(ctx, request);
    const { position, query } = pageQuery(request);
    const limit = limitOf(query, R.emailsPageSizeMax, R.emailsPageSizeDefault);
    // §9.3: the date filters apply to the campaign's updated_at.
    const after = dateOf(query, 'after_date');
    const before = dateOf(query, 'before_date');
    const all = [...account.campaigns.values()].filter(
      (c) =>
        (after === undefined || c.updatedAt >= after) &&
        (before === undefined || c.updatedAt <= before),
    );
    const { items, links } = page(all, position, limit, '/v3/emails', query);
    return { campaigns: items.map(campaignResource), _links: links };
  });

  app.get<{ Params: { id: string } }>('/emails/:id', async (request) => {
    const account = accountOf(ctx, request);
    const campaign = account.campaigns.get(request.params.id);
    if (!campaign) throw notFound(`Campaign ${request.params.id} not found.`);
    return {
      ...campaignResource(campaign),
      campaign_activities: campaign.activityIds.map((id) => ({
        campaign_activity_id: id,
        role: account.campaignActivities.get(id)?.role ?? 'primary_email',
      })),
    };
  });

  app.get<{ Params: { id: string; kind: string } }>(
    '/reports/email_reports/:id/tracking/:kind',
    async (request) => {
      const account = accountOf(ctx, request);
      const { kind, id } = request.params;
      if (!(R.trackingKinds as readonly string[]).includes(kind))
        throw statsError(404, `Unknown report ${kind}.`);
      const activity = account.campaignActivities.get(id);
      if (!activity) throw statsError(404, `Campaign activity ${id} not found.`);
      const { position, query } = pageQuery(request);
      const limit = limitOf(query, R.trackingPageSizeMax, R.trackingPageSizeDefault);
      const events = eventsFor(kind, visible(ctx, activity.events), query);
      const path = `/v3/reports/email_reports/${id}/tracking/${kind}`;
      const { items, links } = page(events, position, limit, path, query);
      return {
        tracking_activities: items.map((e) => trackingRecord(account, e, kind)),
        _links: links,
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/reports/contact_reports/:id/activity_details',
    async (request) => {
      const account = accountOf(ctx, request);
      const contactId = request.params.id;
      if (!account.contacts.has(contactId)) throw notFound(`Contact ${contactId} not found.`);
      const { position, query } = pageQuery(request);
      const list = many(query, 'tracking_activities_list');
      const repeated = many(query, 'tracking_activity_type');
      if (list.length > 0 && repeated.length > 0) {
        throw validationError([
          'tracking_activities_list and tracking_activity_type are mutually exclusive.',
        ]);
      }
      const types =
        list.length > 0 ? list : repeated.length > 0 ? repeated : [R.contactActivityDefaultType];
      for (const t of types) {
        if (!(R.contactActivityTypes as readonly string[]).includes(t)) {
          throw validationError([`tracking activity type ${t} is not valid.`]);
        }
      }
      const limit = limitOf(query, R.contactActivityPageSizeMax, R.contactActivityPageSizeMax);
      const names =
        one(query, 'include_campaign_activity_names') === undefined ||
        boolOf(query, 'include_campaign_activity_names');
      const events = visible(ctx, account.trackingByContact.get(contactId) ?? []).filter((e) =>
        types.includes(`em_${e.kind}`),
      );
      const path = `/v3/reports/contact_reports/${contactId}/activity_details`;
      const { items, links } = page(events, position, limit, path, query);
      return {
        tracking_activities: items.map((e) => {
          const out: JsonObject = {
            contact_id: e.contactId,
            campaign_activity_id: e.campaignActivityId,
            created_time: iso(e.at),
            tracking_activity_type: `em_${e.kind}`,
          };
          if (names) {
            const campaignId =
              account.campaignActivities.get(e.campaignActivityId)?.campaignId ?? '';
            out.campaign_activity_name = account.campaigns.get(campaignId)?.name ?? '';
          }
          // §9.1 (UNCONFIRMED): type-specific extras only when switched on.
          if (ctx.store.behaviour.contactActivityExtras) {
            if (e.linkUrl !== undefined) out.link_url = e.linkUrl;
            if (e.deviceType !== undefined) out.device_type = e.deviceType;
            if (e.bounceCode !== undefined) out.bounce_code = e.bounceCode;
          }
          return out;
        }),
        _links: links,
      };
    },
  );

  // §9.1: per campaign activity sent to the contact within [start, end].
  const perActivity = (request: FastifyRequest<{ Params: { id: string } }>) => {
    const account = accountOf(ctx, request);
    const contactId = request.params.id;
    if (!account.contacts.has(contactId)) throw notFound(`Contact ${contactId} not found.`);
    const query = request.query as Query;
    const start = dateOf(query, 'start');
    const end = dateOf(query, 'end');
    if (start === undefined || end === undefined)
      throw validationError(['start and end are required.']);
    const byActivity = new Map<string, { startOn: number; counts: Record<string, number> }>();
    for (const e of visible(ctx, account.trackingByContact.get(contactId) ?? [])) {
      let entry = byActivity.get(e.campaignActivityId);
      if (!entry) {
        const sent = account.campaigns.get(
          account.campaignActivities.get(e.campaignActivityId)?.campaignId ?? '',
        );
        entry = { startOn: sent?.lastSentAt ?? e.at, counts: {} };
        byActivity.set(e.campaignActivityId, entry);
      }
      entry.counts[e.kind] = (entry.counts[e.kind] ?? 0) + 1;
    }
    const inRange = [...byActivity].filter(([, v]) => v.startOn >= start && v.startOn <= end);
    return { contactId, inRange };
  };

  app.get<{ Params: { id: string } }>(
    '/reports/contact_reports/:id/activity_summary',
    async (request) => {
      const { contactId, inRange } = perActivity(request);
      return {
        contact_id: contactId,
        campaign_activities: inRange
          .sort(([, a], [, b]) => b.startOn - a.startOn)
          .map(([id, v]) => ({
            campaign_activity_id: id,
            start_on: iso(v.startOn),
            em_sends: v.counts.sends ?? 0,
            em_opens: v.counts.opens ?? 0,
            em_clicks: v.counts.clicks ?? 0,
            em_bounces: v.counts.bounces ?? 0,
            em_forwards: v.counts.forwards ?? 0,
            em_unsubscribes: v.counts.optouts ?? 0,
          })),
        _links: {},
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/reports/contact_reports/:id/open_and_click_rates',
    async (request) => {
      const { contactId, inRange } = perActivity(request);
      const sent = inRange.filter(([, v]) => (v.counts.sends ?? 0) > 0);
      const rate = (kind: string): number =>
        sent.length === 0
          ? 0
          : sent.filter(([, v]) => (v.counts[kind] ?? 0) > 0).length / sent.length;
      return {
        contact_id: contactId,
        included_activities_count: sent.length,
        average_open_rate: rate('opens'),
        average_click_rate: rate('clicks'),
      };
    },
  );

  app.get('/reports/summary_reports/email_campaign_summaries', async (request) => {
    const account = accountOf(ctx, request);
    const { position, query } = pageQuery(request);
    const limit = limitOf(query, R.trackingPageSizeMax, 50);
    const sent = [...account.campaigns.values()]
      .filter((c) => c.lastSentAt !== undefined)
      .sort((a, b) => (b.lastSentAt ?? 0) - (a.lastSentAt ?? 0));
    const { items, links } = page(
      sent,
      position,
      limit,
      '/v3/reports/summary_reports/email_campaign_summaries',
      query,
    );
    return {
      bulk_email_campaign_summaries: items.map((c) => {
        const events = c.activityIds.flatMap(
          (id) => account.campaignActivities.get(id)?.events ?? [],
        );
        const unique = (kind: string): number =>
          new Set(events.filter((e) => e.kind === kind).map((e) => e.contactId)).size;
        const sends = unique('sends');
        return {
          campaign_id: c.campaign_id,
          campaign_type: 'NEWSLETTER',
          last_sent_date: iso(c.lastSentAt ?? c.updatedAt),
          unique_counts: {
            sends,
            opens: unique('opens'),
            clicks: unique('clicks'),
            forwards: unique('forwards'),
            optouts: unique('optouts'),
            abuse: 0,
            bounces: unique('bounces'),
            not_opened: sends - unique('opens'),
          },
        };
      }),
      _links: links,
    };
  });
}
