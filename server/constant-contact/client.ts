/**
 * A small typed Constant Contact V3 client over fetch (DESIGN.md §4). Every call takes a
 * limiter slot (server/api/cc-limiter.ts), every answer is parsed with zod (schemas.ts), every
 * failure is an ApiError for `decideRetry`. Wrap calls in `withRetry` to retry them.
 */
import type { CcPriority } from '../api/cc-policy.ts';
import { isApiError } from '../api/errors.ts';
import { type CcHttpOptions, type CcRequest, createCcHttp, type Query } from './http.ts';
import { ccErrors } from './provider.ts';
import {
  accountSummarySchema,
  activitySchema,
  type CcCampaignSummary,
  type CcContact,
  type CcContactActivity,
  type CcTrackingActivity,
  campaignSchema,
  campaignSummariesPageSchema,
  campaignsPageSchema,
  contactActivityPageSchema,
  contactListSchema,
  contactListsPageSchema,
  contactSchema,
  contactsPageSchema,
  customFieldSchema,
  customFieldsPageSchema,
  signUpFormResultSchema,
  trackingPageSchema,
} from './schemas.ts';

export type { CcHttpOptions as CcClientOptions } from './http.ts';

/** Per-call options: the limiter priority (defaults to the client's). */
export interface CallOptions {
  priority?: CcPriority;
}

export interface ContactQuery {
  status?: readonly string[];
  lists?: readonly string[];
  updated_after?: string;
  created_after?: string;
  /** §12: an opt-out moves only `email_address.updated_at`; this filter finds it. */
  optout_after?: string;
  email?: string;
  include?: readonly string[];
  include_count?: boolean;
  /** 1–500 (§4.2); default 500 here, since every page costs one request. */
  limit?: number;
}

/** §4.5 POST/PUT bodies: the contact without read-only fields. */
export interface ContactBody {
  email_address?: { address: string; permission_to_send?: string; opt_out_reason?: string | null };
  first_name?: string | null;
  last_name?: string | null;
  job_title?: string | null;
  company_name?: string | null;
  birthday_month?: number | null;
  birthday_day?: number | null;
  anniversary?: string | null;
  custom_fields?: Array<{ custom_field_id: string; value: string }>;
  phone_numbers?: Array<{ phone_number: string; kind?: string }>;
  street_addresses?: Array<Record<string, string | undefined>>;
  list_memberships?: string[];
  taggings?: string[];
}

export interface Page<T> {
  items: T[];
  /** Path-relative `_links.next.href`; absent on the last page. */
  next?: string;
  /** `<key>_count` (e.g. `contacts_count`), when asked for with `include_count`. */
  count?: number;
}

export type BulkSource =
  | { contact_ids: string[] }
  | { list_ids: string[] }
  | { all_active_contacts: true }
  | { tag_ids: string[] };

type TrackingKind =
  | 'sends'
  | 'opens'
  | 'unique_opens'
  | 'didnotopens'
  | 'clicks'
  | 'forwards'
  | 'optouts'
  | 'bounces';

/** §11: the existing contact's id is only in a 409 `contacts.api.conflict` message. */
export function conflictingContactId(error: unknown): string | undefined {
  if (!isApiError(error) || error.status !== 409) return undefined;
  if (error.code !== ccErrors.conflictKey) return undefined;
  return ccErrors.conflictIdPattern.exec(error.message)?.[1];
}

/**
 * Every item of a paged listing, following `_links.next.href` to the last page (§4.3):
 * `for await (const c of allPages((next) => cc.contacts.list({ limit: 500 }, next)))`.
 */
export async function* allPages<T>(
  page: (next: string | undefined) => Promise<Page<T>>,
): AsyncGenerator<T> {
  let next: string | undefined;
  do {
    const p = await page(next);
    yield* p.items;
    next = p.next;
  } while (next);
}

export function createCcClient(options: CcHttpOptions) {
  const send = createCcHttp(options);
  const with_ = <T>(request: CcRequest<T>, call?: CallOptions): Promise<T> =>
    send({ ...request, priority: call?.priority ?? request.priority });

  async function page<T, K extends string>(
    request: CcRequest<Record<K, T[]> & { _links?: { next?: { href: string } } }>,
    key: K,
    call?: CallOptions,
  ): Promise<Page<T>> {
    const body = await with_(request, call);
    const count = (body as Record<string, unknown>)[`${key}_count`];
    return {
      items: body[key],
      next: body._links?.next?.href,
      ...(typeof count === 'number' ? { count } : {}),
    };
  }

  function contactQuery(q: ContactQuery): Query {
    return { ...q, limit: q.limit ?? 500 };
  }

  return {
    contacts: {
      /** One page of `GET /contacts`; pass `next` from the previous page to continue. */
      list: (query: ContactQuery, next?: string, call?: CallOptions): Promise<Page<CcContact>> =>
        page(
          {
            method: 'GET',
            template: '/contacts',
            path: next ?? '/contacts',
            query: next ? undefined : contactQuery(query),
            schema: contactsPageSchema,
          },
          'contacts',
          call,
        ),
      get: (
        id: string,
        query: { include?: readonly string[]; status?: string } = {},
        call?: CallOptions,
      ) =>
        with_(
          {
            method: 'GET',
            template: '/contacts/{contact_id}',
            path: `/contacts/${encodeURIComponent(id)}`,
            query,
            schema: contactSchema,
          },
          call,
        ),
      /** 409 `contacts.api.conflict` when the email exists: see `conflictingContactId`. */
      create: (body: ContactBody & { create_source: 'Contact' | 'Account' }, call?: CallOptions) =>
        with_(
          { method: 'POST', template: '/contacts', path: '/contacts', body, schema: contactSchema },
          call,
        ),
      /** §4.5: a full update; top-level fields left out become null, so send the whole contact. */
      update: (
        id: string,
        body: ContactBody & { update_source: 'Contact' | 'Account' },
        call?: CallOptions,
      ) =>
        with_(
          {
            method: 'PUT',
            template: '/contacts/{contact_id}',
            path: `/contacts/${encodeURIComponent(id)}`,
            body,
            schema: contactSchema,
          },
          call,
        ),
      delete: (id: string, call?: CallOptions) =>
        with_(
          {
            method: 'DELETE',
            template: '/contacts/{contact_id}',
            path: `/contacts/${encodeURIComponent(id)}`,
          },
          call,
        ),
      /** §4.6: claims explicit consent; only for people who signed up themselves. */
      signUpForm: (
        body: Record<string, unknown> & { list_memberships: string[] },
        call?: CallOptions,
      ) =>
        with_(
          {
            method: 'POST',
            template: '/contacts/sign_up_form',
            path: '/contacts/sign_up_form',
            body,
            schema: signUpFormResultSchema,
          },
          call,
        ),
    },
    lists: {
      list: (
        query: { limit?: number; status?: string; name?: string } = {},
        next?: string,
        call?: CallOptions,
      ) =>
        page(
          {
            method: 'GET',
            template: '/contact_lists',
            path: next ?? '/contact_lists',
            query: next ? undefined : { limit: 1_000, ...query },
            schema: contactListsPageSchema,
          },
          'lists',
          call,
        ),
      create: (
        body: { name: string; description?: string; favorite?: boolean },
        call?: CallOptions,
      ) =>
        with_(
          {
            method: 'POST',
            template: '/contact_lists',
            path: '/contact_lists',
            body,
            schema: contactListSchema,
          },
          call,
        ),
    },
    customFields: {
      list: (next?: string, call?: CallOptions) =>
        page(
          {
            method: 'GET',
            template: '/contact_custom_fields',
            path: next ?? '/contact_custom_fields',
            query: next ? undefined : { limit: 100 },
            schema: customFieldsPageSchema,
          },
          'custom_fields',
          call,
        ),
      create: (body: { label: string; type: string }, call?: CallOptions) =>
        with_(
          {
            method: 'POST',
            template: '/contact_custom_fields',
            path: '/contact_custom_fields',
            body,
            schema: customFieldSchema,
          },
          call,
        ),
    },
    bulk: {
      /** §8: ≤ 40,000 contacts and < 4 MB; new contacts become `implicit`. */
      importContacts: (
        body: { import_data: Array<Record<string, string | number>>; list_ids: string[] },
        call?: CallOptions,
      ) =>
        with_(
          {
            method: 'POST',
            template: '/activities/contacts_json_import',
            path: '/activities/contacts_json_import',
            body,
            schema: activitySchema,
          },
          call,
        ),
      addListMemberships: (
        body: { source: BulkSource; list_ids: string[]; exclude?: { contact_ids: string[] } },
        call?: CallOptions,
      ) =>
        with_(
          {
            method: 'POST',
            template: '/activities/add_list_memberships',
            path: '/activities/add_list_memberships',
            body,
            schema: activitySchema,
          },
          call,
        ),
      removeListMemberships: (
        body: { source: BulkSource; list_ids: string[]; exclude?: { contact_ids: string[] } },
        call?: CallOptions,
      ) =>
        with_(
          {
            method: 'POST',
            template: '/activities/remove_list_memberships',
            path: '/activities/remove_list_memberships',
            body,
            schema: activitySchema,
          },
          call,
        ),
      activity: (id: string, call?: CallOptions) =>
        with_(
          {
            method: 'GET',
            template: '/activities/{activity_id}',
            path: `/activities/${encodeURIComponent(id)}`,
            schema: activitySchema,
          },
          call,
        ),
    },
    account: {
      summary: (call?: CallOptions) =>
        with_(
          {
            method: 'GET',
            template: '/account/summary',
            path: '/account/summary',
            schema: accountSummarySchema,
          },
          call,
        ),
    },
    reporting: {
      /** §9.3: dates filter on the campaign's updated_at; deleted campaigns included. */
      campaigns: (
        query: { limit?: number; after_date?: string } = {},
        next?: string,
        call?: CallOptions,
      ) =>
        page(
          {
            method: 'GET',
            template: '/emails',
            path: next ?? '/emails',
            query: next ? undefined : { limit: 500, ...query },
            schema: campaignsPageSchema,
          },
          'campaigns',
          { priority: 'engagement', ...call },
        ),
      campaign: (id: string, call?: CallOptions) =>
        with_(
          {
            method: 'GET',
            template: '/emails/{campaign_id}',
            path: `/emails/${encodeURIComponent(id)}`,
            schema: campaignSchema,
          },
          { priority: 'engagement', ...call },
        ),
      campaignSummaries: (next?: string, call?: CallOptions): Promise<Page<CcCampaignSummary>> =>
        page(
          {
            method: 'GET',
            template: '/reports/summary_reports/email_campaign_summaries',
            path: next ?? '/reports/summary_reports/email_campaign_summaries',
            query: next ? undefined : { limit: 500 },
            schema: campaignSummariesPageSchema,
          },
          'bulk_email_campaign_summaries',
          { priority: 'engagement', ...call },
        ),
      /**
       * §9.1: one contact's tracking activities, newest first, 100 a page; `types` go as one
       * `tracking_activities_list` (exclusive with repeated `tracking_activity_type`).
       */
      contactActivity: (
        contactId: string,
        types: readonly string[],
        next?: string,
        call?: CallOptions,
      ): Promise<Page<CcContactActivity>> =>
        page(
          {
            method: 'GET',
            template: '/reports/contact_reports/{contact_id}/activity_details',
            path:
              next ?? `/reports/contact_reports/${encodeURIComponent(contactId)}/activity_details`,
            query: next ? undefined : { tracking_activities_list: types.join(','), limit: 100 },
            schema: contactActivityPageSchema,
          },
          'tracking_activities',
          { priority: 'engagement', ...call },
        ),
      /** §9.2: newest first, no date filter; page until already-seen timestamps. */
      tracking: (
        campaignActivityId: string,
        kind: TrackingKind,
        next?: string,
        call?: CallOptions,
      ): Promise<Page<CcTrackingActivity>> =>
        page(
          {
            method: 'GET',
            template: `/reports/email_reports/{campaign_activity_id}/tracking/${kind}`,
            path:
              next ??
              `/reports/email_reports/${encodeURIComponent(campaignActivityId)}/tracking/${kind}`,
            query: next ? undefined : { limit: 500 },
            schema: trackingPageSchema,
          },
          'tracking_activities',
          { priority: 'engagement', ...call },
        ),
    },
  };
}

export type CcClient = ReturnType<typeof createCcClient>;
