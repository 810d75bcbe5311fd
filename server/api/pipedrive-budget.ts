/**
 * Pipedrive's per-company budget as the app sees it (reference 9.1–9.5, DESIGN.md §7), kept in
 * Postgres so every process of the app spends from the same account:
 *
 * - Daily tokens: each call costs its `x-token-cost` (PIPEDRIVE_OPERATIONS in provider.ts). The
 *   company's budget (30,000 × plan multiplier × seats) is shared with every other app it uses,
 *   so the app spends at most `share` of it. Reserved atomically with one
 *   `INSERT … ON CONFLICT DO UPDATE … WHERE used + cost <= limit`; no row back means the share
 *   is spent and the call is not made.
 * - The budget itself: set by the app when it knows plan and seats (`setDailyBudget`); otherwise
 *   the plan is read off the burst limit in `x-ratelimit-limit` (OAuth: 80/160/400/480 per 2 s
 *   for Lite/Growth/Premium/Ultimate, reference 9.3) with one seat; with no header seen yet,
 *   Lite with one seat. One seat is the conservative guess: it can only under-spend.
 * - Burst: a sliding log of the app's own calls per company (`pipedrive_calls`): a call goes
 *   when fewer than the burst limit (`x-ratelimit-limit`, Lite's 80 until a header says) were
 *   made in the last 2 s plus `burstMarginMs`, else it waits until the oldest of them leaves the
 *   window. The limit is counted per token (9.3), so the app's own log is exact, and every
 *   process shares it. `x-ratelimit-reset` is whole seconds: waiting on it ran at about 30 of
 *   Lite's 40 calls/s (bench/initial-sync). A 429 still stops every call for the company until
 *   the reset it names.
 *
 * Pipedrive says the day starts over at midnight "server time" without a zone (9.1); UTC is
 * used here, like the fake.
 */
import { sql } from 'kysely';
import type { Database } from '../db/database.ts';
import {
  PIPEDRIVE_OPERATIONS,
  PIPEDRIVE_RATE_LIMITS,
  type PipedriveOperationKey,
  type PipedrivePlan,
} from '../pipedrive/provider.ts';
import { ApiError, nextUtcMidnight } from './errors.ts';

const DAY_MS = 86_400_000;
const PROVIDER = 'pipedrive';

export interface PipedriveBudgetOptions {
  /** config.budgets.pipedriveShare: the part of the company's daily budget the app may use. */
  share: number;
  /** Longest wait for a burst window to reset after a 429 before calling anyway. */
  maxBurstWaitMs?: number;
  /**
   * How much longer than Pipedrive's 2 s the log's window is: a call is logged before it
   * leaves, and calls do not all take the same time to arrive. Default 100 ms (95 % of the
   * burst rate); on loopback the delay is a few ms.
   */
  burstMarginMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface RateHeaders {
  limit?: number;
  remaining?: number;
  /** Seconds until the burst window resets. */
  resetSeconds?: number;
}

export interface PipedriveBudget {
  /** Waits out an exhausted burst window, then reserves the call's cost or throws `budget`. */
  reserve(companyId: number, operation: PipedriveOperationKey): Promise<void>;
  /** Stores what a response's x-ratelimit-* headers (or a 429) said. */
  observe(companyId: number, headers: RateHeaders, status: number): Promise<void>;
  /** The company's full daily budget when the app knows it (plan × seats). */
  setDailyBudget(companyId: number, tokens: number): Promise<void>;
}

/** Plan from an OAuth burst limit (reference 9.3); undefined when it matches none. */
export function planFromBurstLimit(limit: number | null | undefined): PipedrivePlan | undefined {
  const entries = Object.entries(PIPEDRIVE_RATE_LIMITS.burstPerWindow.oauth) as Array<
    [PipedrivePlan, number]
  >;
  return entries.find(([, perWindow]) => perWindow === limit)?.[0];
}

/** The company's whole daily budget: explicit, else inferred from the burst limit, else Lite × 1. */
export function dailyBudgetOf(state: {
  daily_budget: number | null;
  burst_limit: number | null;
}): number {
  if (state.daily_budget) return state.daily_budget;
  const plan = planFromBurstLimit(state.burst_limit) ?? 'lite';
  return PIPEDRIVE_RATE_LIMITS.dailyTokenBase * PIPEDRIVE_RATE_LIMITS.planMultiplier[plan];
}

export function appLimitOf(dailyBudget: number, share: number): number {
  return Math.floor(dailyBudget * share);
}

export function createPipedriveBudget(
  db: Database,
  options: PipedriveBudgetOptions,
): PipedriveBudget {
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const maxBurstWaitMs = options.maxBurstWaitMs ?? 5_000;

  const windowMs = PIPEDRIVE_RATE_LIMITS.burstWindowSeconds * 1000 + (options.burstMarginMs ?? 100);

  /**
   * One slot in the company's sliding log, or how long to wait for one. Under a per-company
   * advisory lock, so two processes never take the same slot; stamped `clock_timestamp()`, so
   * processes on different clocks agree.
   */
  async function takeSlot(companyId: number) {
    return db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtext(${`pd-burst:${companyId}`}))`.execute(trx);
      const { rows } = await sql<{
        now_ms: number;
        daily_budget: number | null;
        burst_limit: number | null;
        throttled_ms: number | null;
      }>`
        SELECT (extract(epoch from clock_timestamp()) * 1000)::float8 AS now_ms,
          s.daily_budget, s.burst_limit,
          (extract(epoch from s.throttled_until - clock_timestamp()) * 1000)::float8 AS throttled_ms
        FROM (SELECT 1) AS one
        LEFT JOIN pipedrive_rate_state s ON s.company_id = ${companyId}`.execute(trx);
      const state = rows[0] as (typeof rows)[number];
      if (state.throttled_ms !== null && state.throttled_ms > 0) {
        return { ...state, waitMs: state.throttled_ms, throttled: true };
      }
      const limit = state.burst_limit ?? PIPEDRIVE_RATE_LIMITS.burstPerWindow.oauth.lite;
      const recent = await sql<{ at_ms: number }>`
        SELECT (extract(epoch from at) * 1000)::float8 AS at_ms FROM pipedrive_calls
        WHERE company_id = ${companyId}
          AND at > clock_timestamp() - make_interval(secs => ${windowMs / 1000})
        ORDER BY at DESC LIMIT ${limit}`.execute(trx);
      if (recent.rows.length >= limit) {
        // The oldest of the last `limit` calls leaves the window first.
        const oldest = (recent.rows.at(-1) as { at_ms: number }).at_ms;
        return {
          ...state,
          waitMs: Math.max(1, oldest + windowMs - state.now_ms),
          throttled: false,
        };
      }
      await sql`INSERT INTO pipedrive_calls (company_id) VALUES (${companyId})`.execute(trx);
      if (Math.random() < 0.02) {
        await sql`DELETE FROM pipedrive_calls WHERE company_id = ${companyId}
          AND at < clock_timestamp() - interval '1 minute'`.execute(trx);
      }
      return { ...state, waitMs: 0, throttled: false };
    });
  }

  return {
    async reserve(companyId, operation) {
      const cost = PIPEDRIVE_OPERATIONS[operation].cost;
      let row = await takeSlot(companyId);
      let waitedForThrottle = false;
      while (row.waitMs > 0) {
        // After a 429 the wait is bounded (then the call goes, and the retry policy decides);
        // a full log frees a slot within the window.
        if (row.throttled) {
          if (waitedForThrottle) break;
          waitedForThrottle = true;
          await sleep(Math.min(row.waitMs, maxBurstWaitMs));
        } else {
          await sleep(row.waitMs);
        }
        row = await takeSlot(companyId);
      }
      const now = row.now_ms;
      const limit = appLimitOf(
        dailyBudgetOf({ daily_budget: row.daily_budget, burst_limit: row.burst_limit }),
        options.share,
      );
      const windowStart = new Date(nextUtcMidnight(now) - DAY_MS);
      const reserved = await db
        .insertInto('api_budget')
        .values({
          provider: PROVIDER,
          key: String(companyId),
          window_start: windowStart,
          used: cost,
        })
        .onConflict((oc) =>
          oc
            .columns(['provider', 'key', 'window_start'])
            .doUpdateSet({ used: sql`api_budget.used + excluded.used`, updated_at: sql`now()` })
            .where(sql<boolean>`api_budget.used + excluded.used <= ${limit}`),
        )
        .returning('used')
        .executeTakeFirst();
      if (!reserved) {
        throw new ApiError({
          provider: 'pipedrive',
          kind: 'budget',
          operation,
          code: 'daily_share_used',
          message: `The app's share of this company's Pipedrive API budget for today (${limit} tokens) is used up.`,
          resetAtMs: nextUtcMidnight(now),
        });
      }
    },

    async observe(companyId, headers, status) {
      const remaining = status === 429 ? 0 : headers.remaining;
      const resetSeconds =
        headers.resetSeconds ??
        (status === 429 ? PIPEDRIVE_RATE_LIMITS.burstWindowSeconds : undefined);
      if (remaining === undefined && headers.limit === undefined) return;
      const resetAt =
        resetSeconds === undefined
          ? null
          : sql<Date>`clock_timestamp() + make_interval(secs => ${resetSeconds})`;
      await db
        .insertInto('pipedrive_rate_state')
        .values({
          company_id: companyId,
          burst_limit: headers.limit ?? null,
          burst_remaining: remaining ?? null,
          burst_reset_at: resetAt,
          throttled_until: status === 429 ? resetAt : null,
        })
        .onConflict((oc) =>
          oc.column('company_id').doUpdateSet({
            burst_limit: sql`coalesce(excluded.burst_limit, pipedrive_rate_state.burst_limit)`,
            burst_remaining: sql`excluded.burst_remaining`,
            burst_reset_at: sql`excluded.burst_reset_at`,
            // A 429 holds every call until its reset; a later success does not lift it early.
            throttled_until: sql`greatest(excluded.throttled_until, pipedrive_rate_state.throttled_until)`,
            updated_at: sql`now()`,
          }),
        )
        .execute();
    },

    async setDailyBudget(companyId, tokens) {
      await db
        .insertInto('pipedrive_rate_state')
        .values({ company_id: companyId, daily_budget: tokens })
        .onConflict((oc) =>
          oc.column('company_id').doUpdateSet({ daily_budget: tokens, updated_at: sql`now()` }),
        )
        .execute();
    },
  };
}
