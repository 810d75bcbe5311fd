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
 * - Burst: the last `x-ratelimit-remaining/reset` per company. At 0 remaining, callers wait for
 *   the reset instead of collecting 429s. Each reservation also takes one from the stored
 *   remaining, so processes sharing a company see each other's calls until the next header.
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
  /** Longest wait for a burst window to reset before calling anyway. */
  maxBurstWaitMs?: number;
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

  async function state(companyId: number) {
    const row = await db
      .selectFrom('pipedrive_rate_state')
      .select([
        'daily_budget',
        'burst_limit',
        'burst_remaining',
        sql<
          number | null
        >`(extract(epoch from burst_reset_at - clock_timestamp()) * 1000)::float8`.as(
          'reset_in_ms',
        ),
        sql<number>`(extract(epoch from clock_timestamp()) * 1000)::float8`.as('now_ms'),
      ])
      .where('company_id', '=', companyId)
      .executeTakeFirst();
    return row;
  }

  /** The state, after taking one from the stored remaining when the window has one left. */
  async function takeBurstSlot(companyId: number) {
    const taken = await db
      .updateTable('pipedrive_rate_state')
      .set({ burst_remaining: sql`burst_remaining - 1` })
      .where('company_id', '=', companyId)
      .where('burst_remaining', '>', 0)
      .where('burst_reset_at', '>', sql<Date>`clock_timestamp()`)
      .executeTakeFirst();
    const row = await state(companyId);
    return row ? { ...row, taken: taken.numUpdatedRows > 0n } : undefined;
  }

  return {
    async reserve(companyId, operation) {
      const cost = PIPEDRIVE_OPERATIONS[operation].cost;
      // The burst slot is taken atomically, so callers running at once never count the same
      // remaining slot twice; at 0 remaining they wait for the reset (once), then call anyway.
      let row = await takeBurstSlot(companyId);
      const resetIn = row?.reset_in_ms ?? 0;
      if (
        row &&
        !row.taken &&
        row.burst_remaining !== null &&
        row.burst_remaining <= 0 &&
        resetIn > 0
      ) {
        await sleep(Math.min(resetIn, maxBurstWaitMs));
        row = await takeBurstSlot(companyId);
      }
      const now = row?.now_ms ?? Date.now();
      const limit = appLimitOf(
        dailyBudgetOf({
          daily_budget: row?.daily_budget ?? null,
          burst_limit: row?.burst_limit ?? null,
        }),
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
        })
        .onConflict((oc) =>
          oc.column('company_id').doUpdateSet({
            burst_limit: sql`coalesce(excluded.burst_limit, pipedrive_rate_state.burst_limit)`,
            burst_remaining: sql`excluded.burst_remaining`,
            burst_reset_at: sql`excluded.burst_reset_at`,
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
