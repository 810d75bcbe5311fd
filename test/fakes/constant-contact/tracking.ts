/**
 * Email campaigns and their tracking data (§9). Real CC records engagement by itself; here
 * the control surface "sends" a campaign and records opens, clicks, opt-outs, bounces and
 * forwards for chosen contacts at chosen times. An opt-out also unsubscribes the contact with
 * `opt_out_source: Contact` (§15), moving only `email_address.updated_at` (§12).
 */
import { optOut } from './contacts.ts';
import { validationError } from './errors.ts';
import type {
  AccountStore,
  CampaignRecord,
  CcStore,
  ContactRecord,
  TrackingEvent,
  TrackingKind,
} from './store.ts';

export interface SendCampaignInput {
  name: string;
  /** Recipients; default every non-deleted contact that can be emailed. */
  contactIds?: string[];
  at: number;
}

export interface EngagementInput {
  campaignActivityId: string;
  kind: Exclude<TrackingKind, 'sends'>;
  contactIds: string[];
  at: number;
  deviceType?: string;
  linkUrl?: string;
  bounceCode?: string;
  optOutReason?: string;
}

export function mailable(c: ContactRecord): boolean {
  const p = c.email?.permission;
  return c.deletedAt === undefined && (p === 'explicit' || p === 'implicit');
}

/** Inserts keeping newest first (binary search on `at`, ties keep insertion order). */
function insertNewestFirst(events: TrackingEvent[], event: TrackingEvent): void {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((events[mid] as TrackingEvent).at >= event.at) lo = mid + 1;
    else hi = mid;
  }
  events.splice(lo, 0, event);
}

function record(account: AccountStore, event: TrackingEvent): void {
  const activity = account.campaignActivities.get(event.campaignActivityId);
  if (!activity) return;
  insertNewestFirst(activity.events, event);
  let perContact = account.trackingByContact.get(event.contactId);
  if (!perContact) {
    perContact = [];
    account.trackingByContact.set(event.contactId, perContact);
  }
  insertNewestFirst(perContact, event);
}

export function sendCampaign(
  store: CcStore,
  account: AccountStore,
  input: SendCampaignInput,
): CampaignRecord {
  const campaign: CampaignRecord = {
    campaign_id: store.uuid(),
    name: input.name,
    status: 'Done',
    createdAt: input.at,
    updatedAt: input.at,
    lastSentAt: input.at,
    activityIds: [],
  };
  for (const role of ['primary_email', 'permalink'] as const) {
    const id = store.uuid();
    campaign.activityIds.push(id);
    account.campaignActivities.set(id, {
      campaign_activity_id: id,
      campaignId: campaign.campaign_id,
      role,
      events: [],
    });
  }
  account.campaigns.set(campaign.campaign_id, campaign);
  const primary = campaign.activityIds[0] as string;
  const recipients = input.contactIds
    ? input.contactIds.map((id) => account.contacts.get(id)).filter((c) => c !== undefined)
    : account.order.filter(mailable);
  for (const c of recipients) {
    if (!c.email) continue;
    record(account, {
      kind: 'sends',
      contactId: c.contact_id,
      campaignActivityId: primary,
      at: input.at,
      emailAddress: c.email.address,
    });
  }
  return campaign;
}

export function recordEngagement(account: AccountStore, input: EngagementInput): TrackingEvent[] {
  const activity = account.campaignActivities.get(input.campaignActivityId);
  if (!activity) throw validationError([`Unknown campaign activity ${input.campaignActivityId}.`]);
  const out: TrackingEvent[] = [];
  for (const id of input.contactIds) {
    const contact = account.contacts.get(id);
    if (!contact?.email) throw validationError([`Contact ${id} has no email address.`]);
    const event: TrackingEvent = {
      kind: input.kind,
      contactId: id,
      campaignActivityId: input.campaignActivityId,
      at: input.at,
      emailAddress: contact.email.address,
    };
    if (input.kind === 'opens' || input.kind === 'clicks')
      event.deviceType = input.deviceType ?? 'computer';
    if (input.kind === 'clicks') {
      event.linkUrl = input.linkUrl ?? 'https://example.com/';
      event.urlId = linkId(input.linkUrl ?? 'https://example.com/');
    }
    if (input.kind === 'bounces') event.bounceCode = input.bounceCode ?? 'B';
    if (input.kind === 'optouts') {
      event.optOutReason = input.optOutReason ?? '';
      optOut(contact, 'Contact', input.at, input.optOutReason);
      contact.update_source = 'Contact';
    }
    record(account, event);
    out.push(event);
  }
  const campaign = account.campaigns.get(activity.campaignId);
  if (campaign && input.at > campaign.updatedAt) campaign.updatedAt = input.at;
  return out;
}

/** A stable numeric-string id per link URL, as CC's `url_id`. */
export function linkId(url: string): string {
  let h = 7;
  for (let i = 0; i < url.length; i++) h = (h * 31 + url.charCodeAt(i)) >>> 0;
  return String(h % 1_000_000_000);
}
