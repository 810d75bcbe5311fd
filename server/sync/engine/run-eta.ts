/**
 * Gathers what eta.ts needs for a running initial sync or scan: what is left of it (staging
 * tables and checkpoint), the limiter rates and what is left of today's budgets on both sides.
 */
import { sql } from 'kysely';
import { ccKeys, DEFAULT_WINDOW_MARGIN_MS, utcDayStart } from '../../api/cc-limiter.ts';
import { DEFAULT_PRIORITY_SHARES } from '../../api/cc-policy.ts';
import { nextUtcMidnight } from '../../api/errors.ts';
import { appLimitOf, dailyBudgetOf } from '../../api/pipedrive-budget.ts';
import type { Database } from '../../db/database.ts';
import { PIPEDRIVE_RATE_LIMITS } from '../../pipedrive/provider.ts';
import type { ConnectionSettings } from '../settings.ts';
import { callsLeft, etaSeconds, type RunOutlook } from './eta.ts';
import type { RunResult } from './initial.ts';

export interface EtaBudgets {
  ccClientId: string | undefined;
  ccPerSecond: number;
  ccPerDay: number;
  pipedriveShare: number;
}

interface RunRow {
  id: number;
  kind: string;
  connection_id: number;
  checkpoint: unknown;
}

/** Seconds left for a running run, from the API budgets; null when it cannot be told. */
export async function runEta(
  db: Database,
  input: {
    run: RunRow;
    companyId: number;
    settings: ConnectionSettings;
    /** The last finished dry-run's counts, for the Pipedrive updates still to come. */
    dryRun?: Partial<RunResult> | null;
    budgets: EtaBudgets;
    now?: number;
  },
): Promise<number | null> {
  const now = input.now ?? Date.now();
  const outlook = await runOutlook(db, input.run, input.settings, input.dryRun ?? null);
  const day = utcDayStart(now);
  const used = async (provider: string, key: string) =>
    Number(
      (
        await db
          .selectFrom('api_budget')
          .select('used')
          .where('provider', '=', provider)
          .where('key', '=', key)
          .where('window_start', '=', day)
          .executeTakeFirst()
      )?.used ?? 0,
    );
  // The initial sync spends CC's requests at the historical priority: its share of the day.
  const share = DEFAULT_PRIORITY_SHARES.historical;
  const ccId = input.budgets.ccClientId ?? '';
  const ccPerDay = Math.floor(Math.min(share.maxShare, share.ceiling) * input.budgets.ccPerDay);
  const ccLeft = Math.max(
    0,
    Math.min(
      Math.floor(share.ceiling * input.budgets.ccPerDay) -
        (await used('constant_contact', ccKeys.total(ccId))),
      Math.floor(share.maxShare * input.budgets.ccPerDay) -
        (await used('constant_contact', ccKeys.priority(ccId, 'historical'))),
    ),
  );
  const state = await db
    .selectFrom('pipedrive_rate_state')
    .select(['daily_budget', 'burst_limit'])
    .where('company_id', '=', input.companyId)
    .executeTakeFirst();
  const pdPerDay = appLimitOf(
    dailyBudgetOf({
      daily_budget: state?.daily_budget ?? null,
      burst_limit: state?.burst_limit ?? null,
    }),
    input.budgets.pipedriveShare,
  );
  const pdLeft = Math.max(0, pdPerDay - (await used('pipedrive', String(input.companyId))));
  const burst = state?.burst_limit ?? PIPEDRIVE_RATE_LIMITS.burstPerWindow.oauth.lite;
  const [reading, writing] = callsLeft(outlook);
  return etaSeconds(
    // A dry-run only reads.
    input.run.kind === 'dry_run' ? [reading] : [reading, writing],
    {
      // The limiter's rolling window is a margin longer than CC's second (cc-limiter.ts).
      cc: {
        perSecond: (input.budgets.ccPerSecond * 1000) / (1000 + DEFAULT_WINDOW_MARGIN_MS),
        leftToday: ccLeft,
        perDay: ccPerDay,
      },
      pipedrive: {
        perSecond: burst / PIPEDRIVE_RATE_LIMITS.burstWindowSeconds,
        leftToday: pdLeft,
        perDay: pdPerDay,
      },
    },
    (nextUtcMidnight(now) - now) / 1000,
  );
}

/** What is left of the run, counted in its staging tables past its checkpoint. */
async function runOutlook(
  db: Database,
  run: RunRow,
  settings: ConnectionSettings,
  dryRun: Partial<RunResult> | null,
): Promise<RunOutlook> {
  const checkpoint = (run.checkpoint ?? {}) as {
    personsDone?: boolean;
    contactsDone?: boolean;
    contactsTotal?: number;
    lastPersonId?: number;
    lastContactId?: string;
    personsPlanned?: boolean;
  };
  const afterPerson = checkpoint.personsPlanned
    ? Number.MAX_SAFE_INTEGER
    : (checkpoint.lastPersonId ?? 0);
  const { rows } = await sql<{
    contacts: number;
    persons: number;
    persons_left: number;
    persons_left_without_contact: number;
    contacts_left_without_person: number;
    statuses_left: number;
  }>`
    SELECT
      (SELECT count(*) FROM sync_stage_contacts WHERE run_id = ${run.id})::int AS contacts,
      (SELECT count(*) FROM sync_stage_persons WHERE run_id = ${run.id})::int AS persons,
      (SELECT count(*) FROM sync_stage_persons
         WHERE run_id = ${run.id} AND person_id > ${afterPerson})::int AS persons_left,
      (SELECT count(*) FROM sync_stage_persons p
         WHERE p.run_id = ${run.id} AND p.person_id > ${afterPerson} AND p.email IS NOT NULL
           AND p.duplicate_of IS NULL
           AND NOT EXISTS (SELECT 1 FROM sync_stage_contacts c
                           WHERE c.run_id = p.run_id AND c.email = p.email))::int
        AS persons_left_without_contact,
      (SELECT count(*) FROM sync_stage_contacts c
         WHERE c.run_id = ${run.id} AND c.contact_id > ${checkpoint.lastContactId ?? ''}
           AND c.email IS NOT NULL AND c.in_rule
           AND NOT EXISTS (SELECT 1 FROM sync_stage_persons p WHERE p.run_id = c.run_id
                           AND p.email = c.email AND p.duplicate_of IS NULL))::int
        AS contacts_left_without_person,
      (SELECT count(*) FROM sync_stage_contacts c
         JOIN sync_stage_persons p ON p.run_id = c.run_id AND p.email = c.email
           AND p.duplicate_of IS NULL
         LEFT JOIN links l ON l.connection_id = ${run.connection_id} AND l.person_id = p.person_id
         WHERE c.run_id = ${run.id} AND l.cc_status IS NULL
           AND (c.snapshot->>'deleted_at' IS NOT NULL
                OR coalesce(c.snapshot->'email_address'->>'permission_to_send', '')
                   NOT IN ('implicit', 'explicit')))::int AS statuses_left`.execute(db);
  const counts = rows[0];
  const persons = counts?.persons ?? 0;
  const personsLeft = counts?.persons_left ?? 0;
  const updates = dryRun?.counts?.update_person ?? 0;
  return {
    direction: settings.direction,
    contactsTotal: checkpoint.contactsTotal ?? null,
    contactsStaged: counts?.contacts ?? 0,
    contactsRead: Boolean(checkpoint.contactsDone),
    personsRead: Boolean(checkpoint.personsDone),
    personsLeft,
    personsLeftWithoutContact: counts?.persons_left_without_contact ?? 0,
    contactsLeftWithoutPerson: counts?.contacts_left_without_person ?? 0,
    personUpdatesLeft: persons > 0 ? Math.round(updates * Math.min(1, personsLeft / persons)) : 0,
    statusesLeft: counts?.statuses_left ?? 0,
  };
}
