/**
 * The settings page's sync API: settings with field mapping (checked against both APIs' live
 * field lists), dry-run, activate, status with progress and errors, pause/resume and
 * "Sync now". Registered inside the panel-auth scope: every query is the token's company.
 */

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import type { AppDeps } from '../../app.ts';
import type { CcContactList } from '../../constant-contact/schemas.ts';
import { AppError, errorCatalogue } from '../../errors.ts';
import { coreCodes } from '../../sync/core/codes.ts';
import { type CcCursors, pollIntervalSeconds } from '../../sync/engine/cc-poll.ts';
import { loadFields } from '../../sync/engine/fields.ts';
import type { RunResult } from '../../sync/engine/initial.ts';
import { runEta } from '../../sync/engine/run-eta.ts';
import { scanSchedules } from '../../sync/engine/scan.ts';
import { startRun } from '../../sync/runs.ts';
import {
  type AvailableFields,
  type ConnectionSettings,
  connectionSettings,
  defaultMapping,
  type MappingProblem,
  validateMapping,
} from '../../sync/settings.ts';

/**
 * `detail` of a refused `PUT /api/settings`, so the editor can show each problem where it
 * belongs: SETTINGS_INVALID names the setting by its path (`targetListIds`,
 * `mapping.2.direction`); MAPPING_INVALID gives the mapping row by its index.
 */
export interface SettingsIssue {
  path: string;
  message: string;
}
export type SettingsErrorDetail = SettingsIssue[] | MappingProblem[];

export interface FieldsResponse {
  available: AvailableFields;
  defaultMapping: ConnectionSettings['mapping'];
  problems: MappingProblem[];
}

/** What the settings editor chooses from: people filters, CC lists, Pipedrive users. */
export interface ChoicesResponse {
  filters: { id: number; name: string }[];
  lists: { id: string; name: string; members: number | null }[];
  users: { id: number; name: string; email: string }[];
}

export interface RunView {
  id: number;
  kind: string;
  status: string;
  phase: string | null;
  done: number;
  total: number | null;
  etaSeconds: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  result: Partial<RunResult>;
}

export interface StatusResponse {
  status: string;
  statusReason: string | null;
  /** Unique contacts in sync: the pricing unit, each counted once. */
  contactsInSync: number;
  lastRun: RunView | null;
  lastDryRun: RunView | null;
  errors: { code: string; message: string; fix: string; count: number; persons: number[] }[];
  /** How often Constant Contact is polled for changes, from the budget and the connections. */
  ccPollIntervalSeconds: number;
  lastCcPollAt: string | null;
  /** The full scan (filter and list membership, CC deletes): how often, and when it last ran. */
  scanIntervalSeconds: number | null;
  lastScanAt: string | null;
}

export async function syncRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const connectionOf = async (request: FastifyRequest) => {
    const row = await deps.db
      .selectFrom('connections')
      .select(['id', 'status', 'status_reason', 'settings', 'cc_access_token', 'cursors'])
      .where('company_id', '=', request.panel.companyId)
      .executeTakeFirst();
    if (!row?.cc_access_token) throw new AppError('CC_NOT_CONNECTED');
    return row;
  };

  const liveFields = async (companyId: number) =>
    loadFields(await deps.apis.forCompany(companyId, 'interactive'));

  app.get('/api/settings', async (request) => {
    const connection = await connectionOf(request);
    const parsed = connectionSettings.safeParse(connection.settings);
    return { settings: parsed.success ? parsed.data : null };
  });

  app.get('/api/fields', async (request): Promise<FieldsResponse> => {
    const connection = await connectionOf(request);
    const { available } = await liveFields(request.panel.companyId);
    const parsed = connectionSettings.safeParse(connection.settings);
    const direction = parsed.success ? parsed.data.direction : 'two_way';
    return {
      available,
      defaultMapping: defaultMapping(available, direction),
      problems: parsed.success ? validateMapping(parsed.data.mapping, available, direction) : [],
    };
  });

  app.get('/api/choices', async (request): Promise<ChoicesResponse> => {
    await connectionOf(request);
    const clients = await deps.apis.forCompany(request.panel.companyId, 'interactive');
    const [filters, users, lists] = await Promise.all([
      clients.pipedrive.filters.list('people'),
      clients.pipedrive.users.list(),
      (async () => {
        const all: CcContactList[] = [];
        let next: string | undefined;
        do {
          const page = await clients.cc.lists.list({ limit: 1000 }, next);
          all.push(...(page.items as CcContactList[]));
          next = page.next;
        } while (next);
        return all;
      })(),
    ]);
    return {
      filters: filters
        .filter((f) => f.active_flag !== false)
        .map((f) => ({ id: f.id, name: f.name })),
      lists: lists
        .filter((l) => !l.deleted_at)
        .map((l) => ({ id: l.list_id, name: l.name, members: l.membership_count ?? null })),
      users: users
        .filter((u) => u.active_flag !== false)
        .map((u) => ({ id: u.id, name: u.name, email: u.email })),
    };
  });

  app.put('/api/settings', async (request) => {
    const connection = await connectionOf(request);
    const parsed = connectionSettings.safeParse(request.body);
    if (!parsed.success) {
      const detail: SettingsIssue[] = parsed.error.issues.map((i) => ({
        path: i.path.join('.'),
        message: i.message,
      }));
      throw new AppError('SETTINGS_INVALID', { detail });
    }
    const settings = parsed.data;
    const { available } = await liveFields(request.panel.companyId);
    const problems = validateMapping(settings.mapping, available, settings.direction);
    if (problems.length > 0) {
      const detail: MappingProblem[] = problems;
      throw new AppError('MAPPING_INVALID', { detail });
    }
    await deps.db
      .updateTable('connections')
      .set({ settings: JSON.stringify(settings), updated_at: new Date() })
      .where('id', '=', connection.id)
      .execute();
    return { settings };
  });

  const start = async (request: FastifyRequest, kind: 'dry_run' | 'initial') => {
    const connection = await connectionOf(request);
    if (!connectionSettings.safeParse(connection.settings).success)
      throw new AppError('SETTINGS_INVALID');
    return { runId: await startRun(deps.db, deps.boss, connection.id, kind) };
  };

  app.post('/api/sync/dry-run', (request) => start(request, 'dry_run'));
  app.post('/api/sync/activate', (request) => start(request, 'initial'));

  app.post('/api/sync/now', async (request) => {
    const connection = await connectionOf(request);
    if (connection.status !== 'active') throw new AppError('SYNC_NOT_ACTIVE');
    return { runId: await startRun(deps.db, deps.boss, connection.id, 'scan') };
  });

  for (const [path, from, to] of [
    ['/api/sync/pause', 'active', 'paused'],
    ['/api/sync/resume', 'paused', 'active'],
  ] as const) {
    app.post(path, async (request) => {
      const connection = await connectionOf(request);
      if (connection.status !== from)
        throw new AppError('SYNC_NOT_ACTIVE', { detail: `the sync is ${connection.status}` });
      await deps.db
        .updateTable('connections')
        .set({ status: to, updated_at: new Date() })
        .where('id', '=', connection.id)
        .execute();
      return { status: to };
    });
  }

  app.get('/api/sync/status', async (request): Promise<StatusResponse> => {
    const connection = await connectionOf(request);
    const [inSync, runs, errors, active, schedules] = await Promise.all([
      deps.db
        .selectFrom('links')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('connection_id', '=', connection.id)
        .where('state', '=', 'active')
        .executeTakeFirstOrThrow(),
      deps.db
        .selectFrom('sync_runs')
        .selectAll()
        .where('connection_id', '=', connection.id)
        .orderBy('id', 'desc')
        .limit(20)
        .execute(),
      sql<{ code: string; count: number; persons: number[] }>`
        SELECT code, count(*)::int AS count,
               (array_agg(person_id ORDER BY last_seen_at DESC) FILTER (WHERE person_id IS NOT NULL))[1:10] AS persons
        FROM contact_errors WHERE connection_id = ${connection.id} AND resolved_at IS NULL
        GROUP BY code ORDER BY count DESC`.execute(deps.db),
      deps.db
        .selectFrom('connections')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', '=', 'active')
        .executeTakeFirstOrThrow(),
      scanSchedules(deps.db, deps.config.budgets),
    ]);
    const schedule = schedules.find((s) => s.connectionId === connection.id);
    const settings = connectionSettings.safeParse(connection.settings);
    const lastDryRun = runs.find((r) => r.kind === 'dry_run' && r.status === 'completed');
    // A running run's ETA comes from the API budgets: the calls it still needs at the limiters'
    // rates, within today's budget and the next days' (run-eta.ts).
    const etaOf = async (run: (typeof runs)[number]) =>
      run.status === 'running' && settings.success
        ? runEta(deps.db, {
            run,
            companyId: request.panel.companyId,
            settings: settings.data,
            dryRun: (lastDryRun?.result as Partial<RunResult> | undefined) ?? null,
            budgets: {
              ccClientId: deps.config.constantContact?.clientId,
              ccPerSecond: deps.config.budgets.ccPerSecond,
              ccPerDay: deps.config.budgets.ccPerDay,
              pipedriveShare: deps.config.budgets.pipedriveShare,
            },
          })
        : null;
    const lastRunRow = runs.find((r) => r.kind !== 'dry_run');
    const lastDryRunRow = runs.find((r) => r.kind === 'dry_run');
    const [lastRunEta, lastDryRunEta] = await Promise.all([
      lastRunRow ? etaOf(lastRunRow) : null,
      lastDryRunRow ? etaOf(lastDryRunRow) : null,
    ]);
    const view = (run: (typeof runs)[number] | undefined, eta: number | null): RunView | null => {
      if (!run) return null;
      return {
        id: run.id,
        kind: run.kind,
        status: run.status,
        phase: run.phase,
        done: run.done,
        total: run.total,
        etaSeconds: eta,
        startedAt: run.started_at?.toISOString() ?? null,
        finishedAt: run.finished_at?.toISOString() ?? null,
        error: run.error,
        result: run.result as Partial<RunResult>,
      };
    };
    return {
      status: connection.status,
      statusReason: connection.status_reason,
      contactsInSync: Number(inSync.n),
      lastRun: view(lastRunRow, lastRunEta),
      lastDryRun: view(lastDryRunRow, lastDryRunEta),
      errors: errors.rows.map((row) => ({
        ...row,
        persons: row.persons ?? [],
        ...describeCode(row.code),
      })),
      ccPollIntervalSeconds: pollIntervalSeconds(Number(active.n), deps.config.budgets.ccPerDay),
      lastCcPollAt: (connection.cursors as CcCursors).lastCcPollAt ?? null,
      scanIntervalSeconds: schedule?.intervalSeconds ?? null,
      lastScanAt: schedule?.lastScanAt ?? null,
    };
  });
}

/** Per-contact codes come from the core's list or the app catalogue. */
export function describeCode(code: string): { message: string; fix: string } {
  const core = (coreCodes as Record<string, { message: string; fix: string }>)[code];
  if (core) return { message: core.message, fix: core.fix };
  const app = (errorCatalogue as Record<string, { message: string; fix: string }>)[code];
  return app
    ? { message: app.message, fix: app.fix }
    : { message: code, fix: 'See docs/errors.md.' };
}
