/**
 * The Pipedrive webhooks v2 delivery, as far as the app relies on it (pipedrive-api.md §7.4,
 * https://pipedrive.readme.io/docs/guide-for-webhooks-v2). Ids may arrive as strings or
 * numbers and the timestamp as ISO text or epoch seconds (both UNCONFIRMED), so both are
 * accepted. `data` is used as a trigger only; values are re-read through the API.
 */
import { z } from 'zod';

const id = z.union([z.string().regex(/^\d+$/), z.number().int().positive()]).transform(Number);

export const webhookPayload = z.object({
  meta: z.object({
    action: z.enum(['create', 'change', 'delete']),
    entity: z.string().min(1),
    company_id: id,
    entity_id: id,
    id: z.string().min(1).max(100),
    timestamp: z.union([z.string(), z.number()]).optional(),
    change_source: z.string().optional(),
    attempt: z.number().int().optional(),
    merged_to_id: id.optional(),
    merged_from_id: id.optional(),
  }),
  data: z.record(z.string(), z.unknown()).nullable().optional(),
  previous: z.record(z.string(), z.unknown()).nullable().optional(),
});

export type WebhookPayload = z.output<typeof webhookPayload>;
