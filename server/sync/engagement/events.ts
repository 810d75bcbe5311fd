/**
 * Email engagement, the pure part (DESIGN §3 "Engagement"): what a Constant Contact tracking
 * record means, the key that makes each event count once, the burst rule for opens, and the
 * words written on the Pipedrive person. No I/O, no clock.
 */
import { createHash } from 'node:crypto';

export const ENGAGEMENT_KINDS = ['open', 'click', 'optout', 'bounce'] as const;
export type EngagementKind = (typeof ENGAGEMENT_KINDS)[number];

/** The per-campaign report of each kind (CC §9.2: there is no `/unsubscribes`, it is `optouts`). */
export const REPORT_OF = {
  open: 'opens',
  click: 'clicks',
  optout: 'optouts',
  bounce: 'bounces',
} as const satisfies Record<EngagementKind, string>;
export type ReportKind = (typeof REPORT_OF)[EngagementKind];

/** `tracking_activity_type` values (CC §9.1, §9.2) → our kinds. */
const KIND_OF_TYPE: Record<string, EngagementKind> = {
  em_opens: 'open',
  em_clicks: 'click',
  em_optouts: 'optout',
  em_bounces: 'bounce',
};

/** The settings switch of each kind (server/sync/settings.ts `engagementSettings`). */
export const SETTING_OF = {
  open: 'opens',
  click: 'clicks',
  optout: 'optouts',
  bounce: 'bounces',
} as const satisfies Record<EngagementKind, string>;

/**
 * The app's activity types, created once per company (pipedrive-api.md §8.2: `icon_key` from
 * the documented list; `key_string` is read back, never assumed).
 */
export const ACTIVITY_TYPES = {
  open: { name: 'Email opened', icon_key: 'email' },
  click: { name: 'Email link clicked', icon_key: 'world' },
  optout: { name: 'Unsubscribed', icon_key: 'padlock' },
  bounce: { name: 'Email bounced', icon_key: 'downarrow' },
} as const satisfies Record<EngagementKind, { name: string; icon_key: string }>;

/** CC §9.2 bounce codes. */
const BOUNCE_REASONS: Record<string, string> = {
  B: 'the address does not exist',
  D: 'undeliverable',
  F: 'mailbox full',
  S: 'suspended',
  V: 'vacation or auto-reply',
  X: 'other reason',
  Z: 'blocked',
};

/** Opens of one campaign by one contact within this time of the burst's first open are one. */
export const BURST_WINDOW_MS = 60 * 60_000;

export interface EventDetail {
  linkUrl?: string;
  deviceType?: string;
  bounceCode?: string;
  optOutReason?: string;
}

export interface EngagementEvent {
  key: string;
  kind: EngagementKind;
  campaignActivityId: string;
  contactId: string;
  /** ISO 8601 UTC, normalised so both CC reports give the same key. */
  occurredAt: string;
  detail: EventDetail;
}

/** The fields of a CC tracking record this module reads (both report families, CC §9.1/§9.2). */
export interface TrackingRecord {
  contact_id: string;
  campaign_activity_id: string;
  tracking_activity_type: string;
  created_time: string;
  device_type?: string;
  link_url?: string;
  bounce_code?: string;
  opt_out_reason?: string | null;
}

/**
 * The dedup key. CC gives tracking records no id, so an event is its kind, campaign activity,
 * contact and time. Not the click's URL: the per-contact report may leave it out (CC §9.1), and
 * both reports must give one event one key. Two events of one kind by one contact in the same
 * second of one campaign count once.
 */
export function eventKey(
  kind: EngagementKind,
  campaignActivityId: string,
  contactId: string,
  occurredAt: string,
): string {
  return `${kind}|${campaignActivityId}|${contactId}|${occurredAt}`;
}

/** Null for a record that is not one of the four kinds, or whose time is not a date. */
export function eventOf(record: TrackingRecord): EngagementEvent | null {
  const kind = KIND_OF_TYPE[record.tracking_activity_type];
  const time = Date.parse(record.created_time);
  if (!kind || Number.isNaN(time)) return null;
  const occurredAt = new Date(time).toISOString();
  const detail: EventDetail = {};
  if (record.device_type) detail.deviceType = record.device_type;
  if (kind === 'click' && record.link_url) detail.linkUrl = record.link_url;
  if (kind === 'bounce' && record.bounce_code) detail.bounceCode = record.bounce_code;
  if (kind === 'optout' && record.opt_out_reason) detail.optOutReason = record.opt_out_reason;
  return {
    key: eventKey(kind, record.campaign_activity_id, record.contact_id, occurredAt),
    kind,
    campaignActivityId: record.campaign_activity_id,
    contactId: record.contact_id,
    occurredAt,
    detail,
  };
}

/**
 * A short reference written into each activity's or note's text: after a crash between the
 * call and its commit, the recorder finds the entry by it instead of writing it twice.
 */
export function eventRef(key: string): string {
  return `cc-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

export interface EntryInput {
  kind: EngagementKind;
  occurredAt: string;
  detail: EventDetail;
  campaignName: string;
  key: string;
}

export interface Entry {
  subject: string;
  /** HTML (Pipedrive sanitises it, §8.1/§8.3). */
  note: string;
  /** `YYYY-MM-DD` and `HH:MM`, UTC (v2 activities, pipedrive-api.md §8.1). */
  dueDate: string;
  dueTime: string;
  /** `YYYY-MM-DD HH:MM:SS` UTC (v1 notes' `add_time`, §8.3). */
  addTime: string;
  ref: string;
}

const html = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function headline(input: EntryInput): string {
  const campaign = `“${clip(input.campaignName, 120)}”`;
  switch (input.kind) {
    case 'open':
      return `Opened ${campaign}`;
    case 'click':
      return `Clicked ${input.detail.linkUrl ? clip(input.detail.linkUrl, 100) : 'a link'} in ${campaign}`;
    case 'optout':
      return `Unsubscribed via ${campaign}`;
    case 'bounce': {
      const reason = BOUNCE_REASONS[input.detail.bounceCode ?? ''];
      return `Email bounced: ${campaign}${reason ? ` (${reason})` : ''}`;
    }
  }
}

/** What is written on the person: subject, note, the event's time in Pipedrive's formats. */
export function entryOf(input: EntryInput): Entry {
  const ref = eventRef(input.key);
  const at = input.occurredAt;
  const lines = [
    `<p>${html(headline(input))} (Constant Contact email campaign <b>${html(input.campaignName)}</b>) on ${at.slice(0, 10)} at ${at.slice(11, 16)} UTC.</p>`,
  ];
  const url = input.detail.linkUrl;
  if (url) {
    lines.push(
      /^https?:\/\//i.test(url)
        ? `<p>Link: <a href="${html(url)}">${html(url)}</a></p>`
        : `<p>Link: ${html(url)}</p>`,
    );
  }
  if (input.detail.deviceType) lines.push(`<p>Device: ${html(input.detail.deviceType)}</p>`);
  if (input.detail.optOutReason)
    lines.push(`<p>Reason given: ${html(input.detail.optOutReason)}</p>`);
  lines.push(`<p><small>Recorded by the Constant Contact sync · ref ${ref}</small></p>`);
  return {
    subject: clip(headline(input), 250),
    note: lines.join(''),
    dueDate: at.slice(0, 10),
    dueTime: at.slice(11, 16),
    addTime: `${at.slice(0, 10)} ${at.slice(11, 19)}`,
    ref,
  };
}

/**
 * Whether an open belongs to the burst headed by `headAt`: it happened at or after the head's
 * open and within BURST_WINDOW_MS of it.
 */
export function inBurst(headAt: string, openAt: string): boolean {
  const gap = Date.parse(openAt) - Date.parse(headAt);
  return gap >= 0 && gap < BURST_WINDOW_MS;
}
