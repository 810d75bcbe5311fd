/**
 * zod schemas for every Constant Contact V3 response the client reads (STYLE.md habit 7: API
 * drift fails loudly with the field path). Objects are loose: fields CC adds later pass
 * through; the fields we read must be there with the right type. Shapes follow the reference
 * (shared/reference/constant-contact-api.md) section by section.
 */
import { z } from 'zod';
import { ccBulkLimits } from './provider.ts';

const text = z.string();
const optionalText = z.string().nullish();

/** §4.3: `_links.next.href` is path-relative (`/v3/...`); absent on the last page. */
export const linksSchema = z
  .looseObject({ next: z.looseObject({ href: z.string().min(1) }).optional() })
  .optional();

/** §4.4 def EmailAddress. */
export const emailAddressSchema = z.looseObject({
  address: text,
  permission_to_send: text.optional(),
  created_at: text.optional(),
  updated_at: text.optional(),
  opt_in_source: text.optional(),
  opt_in_date: text.optional(),
  opt_out_source: optionalText,
  opt_out_date: optionalText,
  opt_out_reason: optionalText,
  confirm_status: text.optional(),
});

/** §4.4 def ContactResource. Contacts without an email address are legal. */
export const contactSchema = z.looseObject({
  contact_id: text,
  email_address: emailAddressSchema.optional(),
  first_name: optionalText,
  last_name: optionalText,
  job_title: optionalText,
  company_name: optionalText,
  birthday_month: z.number().int().nullish(),
  birthday_day: z.number().int().nullish(),
  anniversary: optionalText,
  create_source: text.optional(),
  update_source: text.optional(),
  created_at: text.optional(),
  updated_at: text.optional(),
  /** A date (YYYY-MM-DD), only on deleted contacts. */
  deleted_at: optionalText,
  custom_fields: z
    .array(
      z.looseObject({
        custom_field_id: text,
        value: optionalText,
        choice_ids: z.array(z.union([text, z.number()])).optional(),
      }),
    )
    .optional(),
  phone_numbers: z
    .array(
      z.looseObject({
        phone_number_id: text.optional(),
        phone_number: text,
        kind: text.optional(),
      }),
    )
    .optional(),
  street_addresses: z
    .array(
      z.looseObject({
        street_address_id: text.optional(),
        kind: text.optional(),
        street: optionalText,
        city: optionalText,
        state: optionalText,
        postal_code: optionalText,
        country: optionalText,
      }),
    )
    .optional(),
  list_memberships: z.array(text).optional(),
  taggings: z.array(text).optional(),
  notes: z
    .array(z.looseObject({ note_id: text.optional(), created_at: text.optional(), content: text }))
    .optional(),
});
export type CcContact = z.infer<typeof contactSchema>;

/** §4.3 def Contacts. */
export const contactsPageSchema = z.looseObject({
  contacts: z.array(contactSchema),
  contacts_count: z.number().int().optional(),
  _links: linksSchema,
});

/** §4.5: `{contact_id, action}`; 201 created, 200 updated. */
export const signUpFormResultSchema = z.looseObject({ contact_id: text, action: text });
export type CcSignUpFormResult = z.infer<typeof signUpFormResultSchema>;

/** §7 list object. */
export const contactListSchema = z.looseObject({
  list_id: text,
  name: text,
  description: optionalText,
  favorite: z.boolean().optional(),
  created_at: text.optional(),
  updated_at: text.optional(),
  deleted_at: optionalText,
  membership_count: z.number().int().optional(),
});
export type CcContactList = z.infer<typeof contactListSchema>;

export const contactListsPageSchema = z.looseObject({
  lists: z.array(contactListSchema),
  lists_count: z.number().int().optional(),
  _links: linksSchema,
});

/** §6 def CustomField. */
export const customFieldSchema = z.looseObject({
  custom_field_id: text,
  label: text,
  name: text,
  type: text,
  choices: z
    .array(
      z.looseObject({
        choice_id: z.union([text, z.number()]),
        choice_label: text,
        display_order: z.number().optional(),
      }),
    )
    .optional(),
  created_at: text.optional(),
  updated_at: text.optional(),
});
export type CcCustomField = z.infer<typeof customFieldSchema>;

export const customFieldsPageSchema = z.looseObject({
  custom_fields: z.array(customFieldSchema),
  _links: linksSchema,
});

/** §8 def Activity (every bulk endpoint answers with one). */
export const activitySchema = z.looseObject({
  activity_id: text,
  state: z.enum(ccBulkLimits.states),
  created_at: text.optional(),
  updated_at: text.optional(),
  percent_done: z.number().optional(),
  /** §8: free-text strings, display only. */
  activity_errors: z.array(text).optional(),
  status: z
    .looseObject({
      items_total_count: z.number().optional(),
      items_completed_count: z.number().optional(),
      person_count: z.number().optional(),
      error_count: z.number().optional(),
      correctable_count: z.number().optional(),
      cannot_add_to_list_count: z.number().optional(),
      list_count: z.number().optional(),
    })
    .optional(),
  _links: z.looseObject({}).optional(),
});
export type CcActivity = z.infer<typeof activitySchema>;

/** `GET /v3/account/summary` (scope account_read). */
export const accountSummarySchema = z.looseObject({
  encoded_account_id: text,
  organization_name: text.optional(),
  contact_email: text.optional(),
  time_zone_id: text.optional(),
  country_code: text.optional(),
});
export type CcAccountSummary = z.infer<typeof accountSummarySchema>;

/** §9.3 `GET /emails`. */
export const campaignsPageSchema = z.looseObject({
  campaigns: z.array(
    z.looseObject({
      campaign_id: text,
      name: text,
      current_status: text,
      type: text.optional(),
      created_at: text.optional(),
      updated_at: text.optional(),
    }),
  ),
  _links: linksSchema,
});

/** §9.3 `GET /emails/{campaign_id}`. */
export const campaignSchema = z.looseObject({
  campaign_id: text,
  name: text,
  current_status: text.optional(),
  campaign_activities: z.array(z.looseObject({ campaign_activity_id: text, role: text })),
});
export type CcCampaign = z.infer<typeof campaignSchema>;

/** §9.2 per-campaign tracking records; extras by kind are optional. */
export const trackingActivitySchema = z.looseObject({
  contact_id: text,
  campaign_activity_id: text,
  tracking_activity_type: text,
  created_time: text,
  email_address: text.optional(),
  first_name: optionalText,
  last_name: optionalText,
  deleted_at: optionalText,
  device_type: text.optional(),
  url_id: z.union([text, z.number()]).optional(),
  link_url: text.optional(),
  opt_out_reason: optionalText,
  bounce_code: text.optional(),
  current_email_address: optionalText,
});
export type CcTrackingActivity = z.infer<typeof trackingActivitySchema>;

export const trackingPageSchema = z.looseObject({
  tracking_activities: z.array(trackingActivitySchema),
  _links: linksSchema,
});

/** §9.1 per-contact activity details: base fields only are guaranteed; extras UNCONFIRMED. */
export const contactActivityPageSchema = z.looseObject({
  tracking_activities: z.array(
    z.looseObject({
      contact_id: text,
      campaign_activity_id: text,
      tracking_activity_type: text,
      created_time: text,
      campaign_activity_name: optionalText,
      link_url: text.optional(),
      device_type: text.optional(),
      bounce_code: text.optional(),
    }),
  ),
  _links: linksSchema,
});
export type CcContactActivity = z.infer<
  typeof contactActivityPageSchema
>['tracking_activities'][number];

/** §9.2 `GET /reports/summary_reports/email_campaign_summaries`. */
export const campaignSummariesPageSchema = z.looseObject({
  bulk_email_campaign_summaries: z.array(
    z.looseObject({
      campaign_id: text,
      campaign_type: text.optional(),
      last_sent_date: text.optional(),
      unique_counts: z.record(z.string(), z.number()).optional(),
    }),
  ),
  _links: linksSchema,
});
export type CcCampaignSummary = z.infer<
  typeof campaignSummariesPageSchema
>['bulk_email_campaign_summaries'][number];

/** §11: API errors are arrays of this; auth and 429 errors a single one. */
export const errorItemSchema = z.looseObject({
  error_key: text.optional(),
  error_message: text.optional(),
});
export const errorBodySchema = z.union([z.array(errorItemSchema), errorItemSchema]);
