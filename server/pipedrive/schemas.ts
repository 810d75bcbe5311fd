/**
 * zod schemas for the Pipedrive responses the client reads (STYLE.md habit 7). The SDK
 * validates nothing and passes any JSON through (reference §12), so this is the boundary.
 * Objects are loose: new fields pass; the fields we read must be present and typed.
 */
import { z } from 'zod';

const id = z.number().int();
const text = z.string();

/** Reference 2.5: `{ success, data, additional_data }`; v2 lists page with `next_cursor`. */
export function envelope<T extends z.ZodType>(data: T) {
  return z.looseObject({
    success: z.literal(true),
    data,
    additional_data: z.looseObject({ next_cursor: z.string().nullish() }).nullish(),
  });
}

/** Reference 2.5 failure body; `code` (string) or `errorCode` (number) on some errors. */
export const errorEnvelopeSchema = z.looseObject({
  success: z.literal(false).optional(),
  error: text.optional(),
  error_info: text.nullish(),
  code: text.optional(),
  errorCode: z.number().optional(),
});

const contactValue = z.looseObject({
  value: text,
  primary: z.boolean().optional(),
  label: text.nullish(),
});

/** Reference 4.3: the v2 Person. Unset custom fields may be missing or null (4.3). */
export const personSchema = z.looseObject({
  id,
  name: text,
  first_name: text.nullish(),
  last_name: text.nullish(),
  owner_id: id.nullish(),
  org_id: id.nullish(),
  add_time: text.optional(),
  update_time: text.nullish(),
  emails: z.array(contactValue).optional(),
  phones: z.array(contactValue).optional(),
  is_deleted: z.boolean().optional(),
  visible_to: z.number().optional(),
  label_ids: z.array(id).optional(),
  custom_fields: z.record(z.string(), z.unknown()).nullish(),
  job_title: text.nullish(),
  marketing_status: text.nullish(),
});
export type PipedrivePerson = z.infer<typeof personSchema>;

/** Reference 4.7: search items carry emails and phones as plain strings. */
export const personSearchSchema = z.looseObject({
  items: z.array(
    z.looseObject({
      result_score: z.number().optional(),
      item: z.looseObject({
        id,
        type: text.optional(),
        name: text.nullish(),
        emails: z.array(text).optional(),
        phones: z.array(text).optional(),
        organization: z.looseObject({ id, name: text.nullish() }).nullish(),
      }),
    }),
  ),
});

/** Reference 5.2: v2 field object. */
export const fieldSchema = z.looseObject({
  field_code: text,
  field_name: text,
  field_type: text,
  is_custom_field: z.boolean().optional(),
  options: z.array(z.looseObject({ id: z.union([id, text]), label: text })).nullish(),
  subfields: z.array(z.looseObject({ field_code: text, field_name: text.optional() })).nullish(),
});
export type PipedriveField = z.infer<typeof fieldSchema>;

export const organizationSchema = z.looseObject({
  id,
  name: text,
  owner_id: id.nullish(),
  add_time: text.optional(),
  update_time: text.nullish(),
  custom_fields: z.record(z.string(), z.unknown()).nullish(),
});
export type PipedriveOrganization = z.infer<typeof organizationSchema>;

/** Reference 6: filters (v1). */
export const filterSchema = z.looseObject({
  id,
  name: text,
  type: text,
  active_flag: z.boolean().optional(),
  conditions: z.unknown().optional(),
});
export type PipedriveFilter = z.infer<typeof filterSchema>;

/** Reference 7.1: webhooks (v1). */
export const webhookSchema = z.looseObject({
  id,
  event_action: text,
  event_object: text,
  subscription_url: text,
  version: text.optional(),
  is_active: z.union([z.boolean(), z.number()]).optional(),
});
export type PipedriveWebhook = z.infer<typeof webhookSchema>;

/** Reference 3.8: `GET /v1/users/me`. */
export const currentUserSchema = z.looseObject({
  id,
  name: text,
  email: text,
  company_id: id,
  company_name: text.optional(),
  company_domain: text.optional(),
  is_admin: z.union([z.boolean(), z.number()]).optional(),
});
export type PipedriveCurrentUser = z.infer<typeof currentUserSchema>;

export const userSchema = z.looseObject({
  id,
  name: text,
  email: text,
  active_flag: z.boolean().optional(),
  is_admin: z.union([z.boolean(), z.number()]).optional(),
});

/** Reference 8.2: activity types (v1). */
export const activityTypeSchema = z.looseObject({
  id,
  name: text,
  key_string: text,
  icon_key: text.optional(),
  active_flag: z.boolean().optional(),
});
export type PipedriveActivityType = z.infer<typeof activityTypeSchema>;

/** Reference 8.1: v2 activity. */
export const activitySchema = z.looseObject({
  id,
  subject: text.nullish(),
  type: text,
  person_id: id.nullish(),
  done: z.boolean().optional(),
  due_date: text.nullish(),
  add_time: text.optional(),
});
export type PipedriveActivity = z.infer<typeof activitySchema>;

/** Reference 8.3: notes (v1). */
export const noteSchema = z.looseObject({
  id,
  content: text,
  person_id: id.nullish(),
  add_time: text.optional(),
});
export type PipedriveNote = z.infer<typeof noteSchema>;

/** Reference 8.3: `GET /v1/notes` pages by offset; `data` is null when there are none. */
export const notesPageSchema = z.looseObject({
  success: z.literal(true),
  data: z.array(noteSchema).nullable(),
  additional_data: z
    .looseObject({
      pagination: z
        .looseObject({
          more_items_in_collection: z.boolean().optional(),
          next_start: z.number().optional(),
        })
        .optional(),
    })
    .nullish(),
});

/** v2 DELETE answers `{ id }`; v1 merge answers the merged person in the v1 shape. */
export const idOnlySchema = z.looseObject({ id });
