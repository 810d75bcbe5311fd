import { sql } from 'kysely';
import type { Database } from '../db/database.ts';
import type { Payload } from './queues.ts';

/** Keeps history and error tables bounded: old events and long-resolved errors go. */
export async function prune(
  db: Database,
  payload: Payload<'maintenance.prune'>,
): Promise<{ events: number; errors: number }> {
  const events = await db
    .deleteFrom('contact_events')
    .where(
      'created_at',
      '<',
      sql<Date>`now() - make_interval(days => ${payload.eventRetentionDays})`,
    )
    .executeTakeFirst();
  const errors = await db
    .deleteFrom('contact_errors')
    .where(
      'resolved_at',
      '<',
      sql<Date>`now() - make_interval(days => ${payload.resolvedErrorRetentionDays})`,
    )
    .executeTakeFirst();
  return { events: Number(events.numDeletedRows), errors: Number(errors.numDeletedRows) };
}
