/**
 * Email engagement in the panels (issue 9): the settings page's read-out (entries written
 * today, what is waiting, activities or notes and why) and a person's recent engagement for
 * the person panel. Opening a linked person's panel also asks for that contact's own report
 * (CC §9.1), so what happened since the last campaign scan shows up within the minute.
 * Behind panel-auth: every query is the token's company.
 */
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { z } from 'zod';
import { utcDayStart } from '../../api/cc-limiter.ts';
import type { AppDeps } from '../../app.ts';
import { errorCatalogue } from '../../errors.ts';
import { enqueue } from '../../jobs/queues.ts';
import { ENGAGEMENT_KINDS, type EngagementKind } from '../../sync/engagement/events.ts';
import { engagementIntervalSeconds } from '../../sync/engagement/poll.ts';
import { connectionSettings } from '../../sync/settings.ts';
import { panelAuthPlugin } from '../plugins/panel-auth.ts';

export interface EngagementNotice {
  code: string;
  message: string;
  fix: string;
}

export interface EngagementSummaryResponse {
  /** False until Constant Contact is connected. */
  connected: boolean;
  /** Entries (activities or notes) written in Pipedrive since 00:00 UTC. */
  recordedToday: number;
  todayByKind: Record<EngagementKind, number>;
  /** Events read and waiting to be written. */
  pending: number;
  recordAs: 'activities' | 'notes';
  /** Why engagement is not recorded as the admin chose, or entries Pipedrive refused. */
  notices: EngagementNotice[];
  lastPollAt: string | null;
  pollIntervalSeconds: number;
}

export interface EngagementItemView {
  id: number;
  kind: EngagementKind;
  /** When it happened (ISO 8601). */
  at: string;
  campaignName: string;
  linkUrl: string | null;
  /** Written in Pipedrive, or read and about to be. */
  status: 'recorded' | 'pending';
}

export interface PersonEngagementResponse {
  personId: number;
  items: EngagementItemView[];
  /** A fresh read of this contact's engagement was asked for; refresh in a minute. */
  refreshing: boolean;
}

const params = z.object({ personId: z.coerce.number().int().positive() });
const RECENT = 20;

const notice = (code: keyof typeof errorCatalogue): EngagementNotice => ({
  code,
  message: errorCatalogue[code].message,
  fix: errorCatalogue[code].fix,
});

export async function engagementRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  await app.register(panelAuthPlugin, { db: deps.db, jwtSecret: deps.config.pipedrive?.jwtSecret });

  const connectionOf = (companyId: number) =>
    deps.db
      .selectFrom('connections')
      .select(['id', 'status', 'settings', 'cc_access_token'])
      .where('company_id', '=', companyId)
      .executeTakeFirst();

  app.get('/api/engagement/summary', async (request): Promise<EngagementSummaryResponse> => {
    const connection = await connectionOf(request.panel.companyId);
    const active = await deps.db
      .selectFrom('connections')
      .select(sql<number>`count(*)`.as('n'))
      .where('status', '=', 'active')
      .executeTakeFirstOrThrow();
    const interval = engagementIntervalSeconds(Number(active.n), deps.config.budgets.ccPerDay);
    const todayByKind = Object.fromEntries(ENGAGEMENT_KINDS.map((k) => [k, 0])) as Record<
      EngagementKind,
      number
    >;
    if (!connection?.cc_access_token) {
      return {
        connected: false,
        recordedToday: 0,
        todayByKind,
        pending: 0,
        recordAs: 'activities',
        notices: [],
        lastPollAt: null,
        pollIntervalSeconds: interval,
      };
    }
    const [today, waiting, rejected, state] = await Promise.all([
      deps.db
        .selectFrom('engagement_seen')
        .select(['kind', sql<number>`count(*)`.as('n')])
        .where('connection_id', '=', connection.id)
        .where('state', '=', 'recorded')
        .where('recorded_at', '>=', utcDayStart(Date.now()))
        .groupBy('kind')
        .execute(),
      deps.db
        .selectFrom('engagement_seen')
        .select(sql<number>`count(*)`.as('n'))
        .where('connection_id', '=', connection.id)
        .where('state', 'in', ['pending', 'sending'])
        .executeTakeFirstOrThrow(),
      deps.db
        .selectFrom('engagement_seen')
        .select(sql<number>`count(*)`.as('n'))
        .where('connection_id', '=', connection.id)
        .where('state', '=', 'skipped')
        .where('skip_reason', 'like', 'rejected:%')
        .executeTakeFirstOrThrow(),
      deps.db
        .selectFrom('engagement_state')
        .select(['notes_reason', 'last_poll_at'])
        .where('connection_id', '=', connection.id)
        .executeTakeFirst(),
    ]);
    for (const row of today) todayByKind[row.kind as EngagementKind] = Number(row.n);
    const parsed = connectionSettings.safeParse(connection.settings);
    const chosen = parsed.success ? parsed.data.engagement.recordAs : 'activities';
    const notices: EngagementNotice[] = [];
    if (chosen === 'activities' && state?.notes_reason === 'no_admin')
      notices.push(notice('ENGAGEMENT_AS_NOTES'));
    if (Number(rejected.n) > 0) notices.push(notice('ENGAGEMENT_ENTRY_REJECTED'));
    return {
      connected: true,
      recordedToday: Object.values(todayByKind).reduce((a, b) => a + b, 0),
      todayByKind,
      pending: Number(waiting.n),
      recordAs: chosen === 'notes' || state?.notes_reason ? 'notes' : 'activities',
      notices,
      lastPollAt: state?.last_poll_at?.toISOString() ?? null,
      pollIntervalSeconds: interval,
    };
  });

  app.get(
    '/api/persons/:personId/engagement',
    async (request): Promise<PersonEngagementResponse> => {
      const { personId } = params.parse(request.params);
      const connection = await connectionOf(request.panel.companyId);
      if (!connection) return { personId, items: [], refreshing: false };
      const [rows, link] = await Promise.all([
        deps.db
          .selectFrom('engagement_seen')
          .select(['id', 'kind', 'occurred_at', 'detail', 'state'])
          .where('connection_id', '=', connection.id)
          .where('person_id', '=', personId)
          .where('state', 'in', ['recorded', 'pending', 'sending', 'merged'])
          .orderBy('occurred_at', 'desc')
          .orderBy('id', 'desc')
          .limit(RECENT)
          .execute(),
        deps.db
          .selectFrom('links')
          .select('contact_id')
          .where('connection_id', '=', connection.id)
          .where('person_id', '=', personId)
          .where('state', '=', 'active')
          .executeTakeFirst(),
      ]);
      let refreshing = false;
      if (connection.status === 'active' && link?.contact_id) {
        // One read per contact at a time; the job itself skips a contact read minutes ago.
        const id = await enqueue(
          deps.boss,
          'engagement.contact',
          { connectionId: connection.id, contactId: link.contact_id },
          { singletonKey: `engagement-contact:${connection.id}:${link.contact_id}` },
        );
        refreshing = id !== null;
      }
      return {
        personId,
        items: rows.map((r) => {
          const detail = (r.detail ?? {}) as { campaignName?: string; linkUrl?: string };
          return {
            id: Number(r.id),
            kind: r.kind as EngagementKind,
            at: r.occurred_at.toISOString(),
            campaignName: detail.campaignName ?? 'an email campaign',
            linkUrl: detail.linkUrl ?? null,
            status: r.state === 'recorded' || r.state === 'merged' ? 'recorded' : 'pending',
          };
        }),
        refreshing,
      };
    },
  );
}
