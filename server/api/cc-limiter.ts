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
 * 3. if so it bumps the counters and, last, inserts its grant stamped `clock_timestamp()`, so
 *    the time other processes count is as close as possible to the moment the request leaves;
 *    if not it sleeps until the next slot (or a short poll when someone else is chosen).
 * 4. A grant that reaches its caller more than `lateGrantMs` after being stamped (slow commit,
 *    busy event loop) is given back and the caller queues again, at most 3 times.
 * Time is Postgres's `clock_timestamp()`, so processes on machines with skewed clocks agree.
 *
 * The window is `1000 + windowMarginMs` long (default 250 ms, so at most 4 grants per 1.25 s,
 * 3.2/s sustained): a grant is not the moment CC receives the request, and the margin absorbs
 * the difference in delay between requests. Measured on loopback, 2 child processes + 1 under
 * the full integration suite: 12–24 ms from grant to arrival at the fake (50–260 ms before the
 * grant was stamped last). The daily 10,000 is the binding limit anyway (52 minutes at 3.2/s).
 *
 * Cost: every waiting caller runs one short locked transaction per freed slot (about 4/s), so
 * hundreds of concurrent waiters mean hundreds of small transactions per second; workers should
 * bound their concurrency per queue rather than park thousands of calls here.
 */
import { sql } from 'kysely';
import { ccRateLimits } from '../constant-contact/provider.ts';
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
/** How much longer than CC's second the limiter's rolling window is (see above). */
export const DEFAULT_WINDOW_MARGIN_MS = 250;

export interface CcLimiterOptions {
  /** The CC application key (OAuth client id): the unit CC counts by. */
  clientId: string;
  /** config.budgets.ccPerSecond; CC's 4 (provider.ts ccRateLimits) when left out. */
  perSecond?: number;
  /** config.budgets.ccPerDay; CC's 10,000 when left out. */
  perDay?: number;
  windowMarginMs?: number;
  shares?: Readonly<Record<CcPriority, PriorityShare>>;
  /** A grant that reaches its caller later than this after being stamped is given back. */
  lateGrantMs?: number;
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
  const perSecond = options.perSecond ?? ccRateLimits.perSecond;
  const perDay = options.perDay ?? ccRateLimits.perDay;
  const margin = options.windowMarginMs ?? DEFAULT_WINDOW_MARGIN_MS;
  const windowMs = 1000 + margin;
  const lateMs = options.lateGrantMs ?? margin / 2;
  const pollMs = options.pollMs ?? 25;
  const staleMs = options.staleWaiterMs ?? 5_000;
  const shares = options.shares ?? DEFAULT_PRIORITY_SHARES;
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const appKey = options.clientId;
  const lockKey = `cc-limiter:${appKey}`;

  type Attempt =
    | { granted: true; grantedAt: number; grantId: number; keys: string[]; dayStart: Date }
    | { granted: false; sleepMs: number }
    | { lost: true };

  async function attempt(
    waiterId: number,
    request: { account: string; priority: CcPriority },
    grantSentAt: { value: number },
  ) {
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
          perDay,
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
      const slotAt = nextSlotAt(times, now, perSecond, windowMs);
      if (chosen?.id !== waiterId) {
        return { granted: false, sleepMs: Math.max(pollMs, slotAt - now + pollMs) };
      }
      if (slotAt > now) return { granted: false, sleepMs: slotAt - now };

      const keys = [
        ccKeys.total(appKey),
        ccKeys.account(appKey, request.account),
        ccKeys.priority(appKey, request.priority),
      ];
      await trx
        .insertInto('api_budget')
        .values(keys.map((key) => ({ provider: PROVIDER, key, window_start: dayStart, used: 1 })))
        .onConflict((oc) =>
          oc.columns(['provider', 'key', 'window_start']).doUpdateSet({
            used: sql`api_budget.used + 1`,
            updated_at: sql`now()`,
          }),
        )
        .execute();
      await trx.deleteFrom('api_waiters').where('id', '=', waiterId).execute();
      // The grant row last, stamped with the time of its own statement, so what other processes
      // count is as close as possible to the moment the request leaves.
      grantSentAt.value = performance.now();
      const grant = await trx
        .insertInto('api_grants')
        .values({
          app_key: appKey,
          account: request.account,
          priority: request.priority,
          granted_at: sql<Date>`clock_timestamp()`,
        })
        .returning(['id', sql<number>`(extract(epoch from granted_at) * 1000)::float8`.as('at')])
        .executeTakeFirstOrThrow();
      return { granted: true, grantedAt: grant.at, grantId: grant.id, keys, dayStart };
    });
  }

  /** Gives back a grant that was not used (see `lateMs`). */
  async function release(grant: { grantId: number; keys: string[]; dayStart: Date }) {
    await db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtext(${lockKey}))`.execute(trx);
      await trx.deleteFrom('api_grants').where('id', '=', grant.grantId).execute();
      await trx
        .updateTable('api_budget')
        .set({ used: sql`used - 1` })
        .where('provider', '=', PROVIDER)
        .where('key', 'in', grant.keys)
        .where('window_start', '=', grant.dayStart)
        .where('used', '>', 0)
        .execute();
    });
  }

  /** Old grants and dead waiters; outside the lock, now and then. */
  async function housekeeping() {
    await db
      .deleteFrom('api_grants')
      .where('app_key', '=', appKey)
      .where('granted_at', '<', sql<Date>`clock_timestamp() - interval '2 minutes'`)
      .execute();
    await db
      .deleteFrom('api_waiters')
      .where('app_key', '=', appKey)
      .where(
        'seen_at',
        '<',
        sql<Date>`clock_timestamp() - make_interval(secs => ${(4 * staleMs) / 1000})`,
      )
      .execute();
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
      let released = 0;
      try {
        for (;;) {
          const grantSentAt = { value: 0 };
          const result = await attempt(waiterId, request, grantSentAt);
          if ('lost' in result) {
            waiterId = await register();
            continue;
          }
          if (result.granted) {
            // A grant that took long to come back (slow commit, busy event loop) would make the
            // request arrive well after the time the other processes count it at: give it back
            // and queue again. Bounded, so a slow database degrades to "send anyway".
            if (performance.now() - grantSentAt.value > lateMs && released < 3) {
              released++;
              await release(result);
              waiterId = await register();
              continue;
            }
            done = true;
            if (Math.random() < 0.05) housekeeping().catch(() => undefined);
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
