/**
 * The periodic full scan (DESIGN §3): a `scan` run of the initial sync's reconciliation, on a
 * schedule. It is what finds what no webhook or poll reports:
 * - Pipedrive filter membership (filters fire no webhook): persons who entered a filter are
 *   linked or created, persons who left it are marked out of the rule;
 * - CC list membership, when the CC side is chosen lists;
 * - CC deletes, which may not move `updated_at` (constant-contact-api.md §5), so the poll can
 *   miss them; the scan reads every contact with `status=all`.
 * "Sync now" starts the same run on demand.
 *
 * How often: a scan reads each side once, a page (500) at a time. Scans may use a tenth of the
 * CC day (shared by every connection on the app key) and a tenth of the Pipedrive share of the
 * company's daily budget, and run at most hourly. The size of a connection is taken from its
 * last run (staged units), so the interval grows with the account.
 */
import { sql } from 'kysely';
import type { Database } from '../../db/database.ts';
import { PIPEDRIVE_OPERATIONS } from '../../pipedrive/provider.ts';

/** The part of each day's budget the scans may use. */
const SCAN_SHARE = 0.1;
const MIN_INTERVAL_SECONDS = 3600;
const PAGE = 500;
/** Pipedrive's smallest daily budget (30,000 tokens × 1 seat, pipedrive-api.md §9) when unknown. */
const DEFAULT_PIPEDRIVE_DAILY_BUDGET = 30_000;
const PERSON_PAGE_COST = PIPEDRIVE_OPERATIONS['v2 GET /persons'].cost;

export interface ScanBudget {
  ccPerDay: number;
  /** The share of the company's Pipedrive budget the app may spend (PIPEDRIVE_BUDGET_SHARE). */
  pipedriveShare: number;
}

/** Pages one scan reads on each side, from the units its last run staged. */
export function scanPages(units: number): number {
  return Math.ceil(Math.max(0, units) / PAGE) + 1;
}

/**
 * Seconds between two scans of one connection: whichever budget is tighter decides.
 * `ccPagesAll` is the CC pages of one scan of every active connection (they share the key).
 */
export function scanIntervalSeconds(input: {
  pages: number;
  ccPagesAll: number;
  pipedriveDailyBudget: number | null;
  budget: ScanBudget;
}): number {
  const cc =
    (86_400 * Math.max(input.ccPagesAll, input.pages)) / (input.budget.ccPerDay * SCAN_SHARE);
  const pipedriveTokens =
    (input.pipedriveDailyBudget ?? DEFAULT_PIPEDRIVE_DAILY_BUDGET) *
    input.budget.pipedriveShare *
    SCAN_SHARE;
  const pipedrive = (86_400 * input.pages * PERSON_PAGE_COST) / pipedriveTokens;
  return Math.max(MIN_INTERVAL_SECONDS, Math.ceil(Math.max(cc, pipedrive)));
}

export interface ScanSchedule {
  connectionId: number;
  intervalSeconds: number;
  lastScanAt: string | null;
  /** A run (initial, scan or dry-run) is queued or running: no scan is started meanwhile. */
  busy: boolean;
}

/** Every active connection's scan interval and last scan. */
export async function scanSchedules(db: Database, budget: ScanBudget): Promise<ScanSchedule[]> {
  const { rows } = await sql<{
    id: number;
    last_scan_at: string | null;
    units: number | null;
    daily_budget: number | null;
    busy: boolean;
  }>`
    SELECT c.id, c.cursors->>'lastScanAt' AS last_scan_at,
      (SELECT r.total FROM sync_runs r
        WHERE r.connection_id = c.id AND r.kind <> 'dry_run' AND r.status = 'completed'
        ORDER BY r.id DESC LIMIT 1) AS units,
      s.daily_budget,
      EXISTS (SELECT 1 FROM sync_runs r WHERE r.connection_id = c.id
              AND r.status IN ('queued', 'running')) AS busy
    FROM connections c
    LEFT JOIN pipedrive_rate_state s ON s.company_id = c.company_id
    WHERE c.status = 'active'
    ORDER BY c.id`.execute(db);
  const ccPagesAll = rows.reduce((sum, r) => sum + scanPages(Number(r.units ?? 0)), 0);
  return rows.map((r) => ({
    connectionId: Number(r.id),
    intervalSeconds: scanIntervalSeconds({
      pages: scanPages(Number(r.units ?? 0)),
      ccPagesAll,
      pipedriveDailyBudget: r.daily_budget,
      budget,
    }),
    lastScanAt: r.last_scan_at,
    busy: r.busy,
  }));
}

/** Active connections whose next scan is due (the `sync.scan-due` job starts them). */
export async function dueScans(db: Database, now: number, budget: ScanBudget): Promise<number[]> {
  return (await scanSchedules(db, budget))
    .filter(
      (s) =>
        !s.busy &&
        (s.lastScanAt === null || now - Date.parse(s.lastScanAt) >= s.intervalSeconds * 1000),
    )
    .map((s) => s.connectionId);
}
