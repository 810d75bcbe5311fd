/**
 * One Constant Contact limiter for every process on the database (DESIGN.md §7, reference
 * §10): CC counts 4 requests/s and 10,000/day per application key across all connected
 * accounts, so the count has to live in Postgres, not in a process.
 *
 * How a caller gets a slot:
 * 1. it registers in `api_waiters` (priority, account);
 * 2. in a transaction under a per-application advisory lock it reads the day's counters, the
 *    grants of the last minute and the live waiters, and asks the pure rules (cc-policy.ts)
 *    whether it is the chosen waiter and whether the rolling window has room;
 * 3. if so it records the grant and bumps the counters in the same transaction; if not it
 *    sleeps until the next slot (or a short poll when someone else is chosen) and tries again.
 * Time is Postgres's `clock_timestamp()`, so processes on machines with skewed clocks agree.
 *
 * The window is `1000 + windowMarginMs` long (default 250 ms, so at most 4 grants per 1.25 s,
 * 3.2/s sustained): a grant is not the moment CC receives the request, and the margin absorbs
 * the difference in delay between requests. Measured on loopback under test load: 50–70 ms
 * from grant to arrival; a process's first fetch (undici loading) can take over 100 ms. The
 * daily 10,000 is the binding limit anyway (at 3.2/s it lasts 52 minutes).
 */
import { sql } from 'kysely';
import type { Database } from '../db/database.ts';
import {
  CC_PRIORITIES,
  type CcPriority,
  chooseWaiter,
  DEFAULT_PRIORITY_SHARES,
  nextSlotAt,
  type PriorityShare,
  type Waiter,
  withinDailyShare,
} from './cc-policy.ts';
import { ApiError, nextUtcMidnight } from './errors.ts';

const DAY_MS = 86_400_000;
const PROVIDER = 'constant_contact';

export interface CcLimiterOptions {
  /** The CC application key (OAuth client id): the unit CC counts by. */
  clientId: string;
  perSecond: number;
  perDay: number;
  windowMarginMs?: number;
  shares?: Readonly<Record<CcPriority, PriorityShare>>;
  /** How often a caller that is not next looks again. */
  pollMs?: number;
  /** A waiter row not refreshed for this long belongs to a dead process. */
  staleWaiterMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface Grant {
  /** Postgres time of the grant (epoch ms). */
  grantedAt: number;
}

export interface CcLimiter {
  /**
   * Resolves when this caller may send one request. Throws an ApiError of kind `budget` when
   * the priority's daily share (or the day's quota) is used up; it says when the day resets.
   */
  acquire(request: { account: string; priority: CcPriority }): Promise<Grant>;
}

/** Counter keys in `api_budget` (also read by the settings read-out). */
export const ccKeys = {
  total: (clientId: string) => clientId,
  account: (clientId: string, account: string) => `${clientId}|account:${account}`,
  priority: (clientId: string, priority: CcPriority) => `${clientId}|priority:${priority}`,
};

export function utcDayStart(now: number): Date {
  return new Date(nextUtcMidnight(now) - DAY_MS);
}

export function createCcLimiter(db: Database, options: CcLimiterOptions): CcLimiter {
  const windowMs = 1000 + (options.windowMarginMs ?? 250);
  const pollMs = options.pollMs ?? 25;
  const staleMs = options.staleWaiterMs ?? 5_000;
  const shares = options.shares ?? DEFAULT_PRIORITY_SHARES;
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const appKey = options.clientId;
  const lockKey = `cc-limiter:${appKey}`;

  type Attempt =
    | { granted: true; grantedAt: number }
    | { granted: false; sleepMs: number }
    | { lost: true };

  async function attempt(waiterId: number, request: { account: string; priority: CcPriority }) {
    return db.transaction().execute(async (trx): Promise<Attempt> => {
      await sql`SELECT pg_advisory_xact_lock(hashtext(${lockKey}))`.execute(trx);
      const { rows } = await sql<{
        now: number;
      }>`SELECT (extract(epoch from clock_timestamp()) * 1000)::float8 AS now`.execute(trx);
      const now = rows[0]?.now ?? Date.now();
      const dayStart = utcDayStart(now);

      const seen = await trx
        .updateTable('api_waiters')
        .set({ seen_at: new Date(now) })
        .where('id', '=', waiterId)
        .executeTakeFirst();
      // Removed as stale (this process stalled for many seconds): register again.
      if (seen.numUpdatedRows === 0n) return { lost: true };

      const counters = await trx
        .selectFrom('api_budget')
        .select(['key', 'used'])
        .where('provider', '=', PROVIDER)
        .where('window_start', '=', dayStart)
        .where('key', 'in', [
          ccKeys.total(appKey),
          ...CC_PRIORITIES.map((p) => ccKeys.priority(appKey, p)),
        ])
        .execute();
      const used = new Map(counters.map((c) => [c.key, c.used]));
      const eligible = (priority: CcPriority) =>
        withinDailyShare({
          priority,
          usedTotal: used.get(ccKeys.total(appKey)) ?? 0,
          usedByPriority: used.get(ccKeys.priority(appKey, priority)) ?? 0,
          perDay: options.perDay,
          shares,
        });
      if (!eligible(request.priority)) {
        await trx.deleteFrom('api_waiters').where('id', '=', waiterId).execute();
        throw new ApiError({
          provider: 'constant_contact',
          kind: 'budget',
          operation: 'limiter',
          code: 'daily_share_used',
          message: `The ${request.priority} share of today's Constant Contact requests is used up.`,
          resetAtMs: nextUtcMidnight(now),
        });
      }

      const grants = await trx
        .selectFrom('api_grants')
        .select(['account', 'granted_at'])
        .where('app_key', '=', appKey)
        .where('granted_at', '>', new Date(now - 60_000))
        .orderBy('granted_at')
        .execute();
      const times = grants.map((g) => g.granted_at.getTime());
      const lastByAccount = new Map<string, number>();
      for (const g of grants) lastByAccount.set(g.account, g.granted_at.getTime());

      const waiters = await trx
        .selectFrom('api_waiters')
        .select(['id', 'account', 'priority', 'enqueued_at'])
        .where('app_key', '=', appKey)
        .where('seen_at', '>', new Date(now - staleMs))
        .execute();
      const chosen = chooseWaiter(
        waiters.map(
          (w): Waiter => ({
            id: w.id,
            account: w.account,
            priority: w.priority as CcPriority,
            enqueuedAt: w.enqueued_at.getTime(),
          }),
        ),
        lastByAccount,
        eligible,
      );
      const slotAt = nextSlotAt(times, now, options.perSecond, windowMs);
      if (chosen?.id !== waiterId) {
        return { granted: false, sleepMs: Math.max(pollMs, slotAt - now + pollMs) };
      }
      if (slotAt > now) return { granted: false, sleepMs: slotAt - now };

      await trx
        .insertInto('api_grants')
        .values({
          app_key: appKey,
          account: request.account,
          priority: request.priority,
          granted_at: new Date(now),
        })
        .execute();
      for (const key of [
        ccKeys.total(appKey),
        ccKeys.account(appKey, request.account),
        ccKeys.priority(appKey, request.priority),
      ]) {
        await trx
          .insertInto('api_budget')
          .values({ provider: PROVIDER, key, window_start: dayStart, used: 1 })
          .onConflict((oc) =>
            oc.columns(['provider', 'key', 'window_start']).doUpdateSet({
              used: sql`api_budget.used + 1`,
              updated_at: sql`now()`,
            }),
          )
          .execute();
      }
      await trx.deleteFrom('api_waiters').where('id', '=', waiterId).execute();
      // Housekeeping in the same locked transaction: grants older than a minute and dead waiters.
      await trx
        .deleteFrom('api_grants')
        .where('app_key', '=', appKey)
        .where('granted_at', '<', new Date(now - 120_000))
        .execute();
      await trx
        .deleteFrom('api_waiters')
        .where('app_key', '=', appKey)
        .where('seen_at', '<', new Date(now - 4 * staleMs))
        .execute();
      return { granted: true, grantedAt: now };
    });
  }

  return {
    async acquire(request) {
      const register = async () =>
        (
          await db
            .insertInto('api_waiters')
            .values({ app_key: appKey, account: request.account, priority: request.priority })
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id;
      let waiterId = await register();
      let done = false;
      try {
        for (;;) {
          const result = await attempt(waiterId, request);
          if ('lost' in result) {
            waiterId = await register();
            continue;
          }
          if (result.granted) {
            done = true;
            return { grantedAt: result.grantedAt };
          }
          // Wake at least once a second so the row stays fresh (staleWaiterMs).
          await sleep(Math.min(result.sleepMs, 1_000));
        }
      } finally {
        if (!done) {
          await db
            .deleteFrom('api_waiters')
            .where('id', '=', waiterId)
            .execute()
            .catch(() => undefined);
        }
      }
    },
  };
}
