/**
 * What every engagement step of one connection needs: its settings, its clients on the
 * engagement priority, and where its history starts.
 */
import { sql } from 'kysely';
import type { z } from 'zod';
import type { AppApis, CompanyClients } from '../../app.ts';
import type { Database } from '../../db/database.ts';
import type { Logger } from '../../log.ts';
import { connectionSettings, type engagementSettings } from '../settings.ts';

const DAY_MS = 86_400_000;

export interface EngagementDeps {
  db: Database;
  apis: AppApis;
  logger: Logger;
  now?: () => number;
}

export interface EngagementContext {
  db: Database;
  logger: Logger;
  connectionId: number;
  companyId: number;
  settings: z.output<typeof engagementSettings>;
  clients: CompanyClients;
  /** Events before this are never recorded: the history window, fixed at the first poll. */
  historyStart: Date;
  /** Why entries go to notes although the settings say activities (e.g. `no_admin`). */
  notesReason: string | null;
  now: () => number;
}

/** Null when the connection is not active (setup, paused, needs re-auth) or its settings are bad. */
export async function engagementContext(
  deps: EngagementDeps,
  connectionId: number,
): Promise<EngagementContext | null> {
  const now = deps.now ?? Date.now;
  const connection = await deps.db
    .selectFrom('connections')
    .select(['id', 'company_id', 'status', 'settings'])
    .where('id', '=', connectionId)
    .executeTakeFirst();
  if (connection?.status !== 'active') return null;
  const parsed = connectionSettings.safeParse(connection.settings);
  if (!parsed.success) return null;
  const settings = parsed.data.engagement;
  // A new connection reaches back `historyDays` once; later changes of the setting apply to
  // what is read from then on, not to history already decided.
  await deps.db
    .insertInto('engagement_state')
    .values({
      connection_id: connectionId,
      history_start: new Date(now() - settings.historyDays * DAY_MS),
    })
    .onConflict((oc) => oc.column('connection_id').doNothing())
    .execute();
  const state = await deps.db
    .selectFrom('engagement_state')
    .select(['history_start', 'notes_reason'])
    .where('connection_id', '=', connectionId)
    .executeTakeFirstOrThrow();
  return {
    db: deps.db,
    logger: deps.logger,
    connectionId,
    companyId: connection.company_id,
    settings,
    clients: await deps.apis.forCompany(connection.company_id, 'engagement'),
    historyStart: state.history_start,
    notesReason: state.notes_reason,
    now,
  };
}

/** Marks when the connection was last polled (the due check reads it). */
export async function markPolled(ctx: EngagementContext): Promise<void> {
  await ctx.db
    .updateTable('engagement_state')
    .set({ last_poll_at: new Date(ctx.now()), updated_at: sql`now()` })
    .where('connection_id', '=', ctx.connectionId)
    .execute();
}
