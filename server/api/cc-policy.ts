/**
 * The pure rules of the Constant Contact limiter (cc-limiter.ts does the Postgres part):
 * priorities and their daily shares, the rolling per-second window, and who among the waiting
 * callers gets the next slot. No clock, no I/O: every input is an argument.
 *
 * CC limits (reference §10, DESIGN.md §7): 4 requests/s and 10,000/day per application key,
 * shared by every connected account, reset 00:00 UTC.
 */

/** Highest first. */
export const CC_PRIORITIES = ['interactive', 'continuous', 'historical', 'engagement'] as const;
export type CcPriority = (typeof CC_PRIORITIES)[number];

export interface PriorityShare {
  /** Most of the day's requests this priority may use itself. */
  maxShare: number;
  /** It takes a slot only while the app's total use today is below this share. */
  ceiling: number;
}

/**
 * Why these numbers: a backfill (historical) or an engagement pull must never leave the people
 * clicking in the panel (interactive) or the live sync (continuous) without requests.
 * - historical ≤ 50 % of the day, and only while the total is under 80 %;
 * - engagement ≤ 15 %, and only while the total is under 70 %;
 * - continuous may use everything except the last 5 %, which stays for interactive calls.
 * So interactive + continuous always keep at least 20 % (2,000 of 10,000 requests) of the day.
 */
export const DEFAULT_PRIORITY_SHARES: Readonly<Record<CcPriority, PriorityShare>> = {
  interactive: { maxShare: 1, ceiling: 1 },
  continuous: { maxShare: 1, ceiling: 0.95 },
  historical: { maxShare: 0.5, ceiling: 0.8 },
  engagement: { maxShare: 0.15, ceiling: 0.7 },
};

export function priorityRank(priority: CcPriority): number {
  return CC_PRIORITIES.indexOf(priority);
}

/** Whether `priority` may still take a request today. */
export function withinDailyShare(input: {
  priority: CcPriority;
  usedTotal: number;
  usedByPriority: number;
  perDay: number;
  shares?: Readonly<Record<CcPriority, PriorityShare>>;
}): boolean {
  const share = (input.shares ?? DEFAULT_PRIORITY_SHARES)[input.priority];
  return (
    input.usedTotal < Math.floor(share.ceiling * input.perDay) &&
    input.usedByPriority < Math.floor(share.maxShare * input.perDay)
  );
}

/**
 * When the next request may go: a rolling window (not fixed seconds, which would let 4 at the
 * end of one second and 4 at the start of the next through). `grants` are the grant times in
 * the window, ascending. With k = perWindow, a new grant needs the k-th latest to be older
 * than `windowMs`.
 */
export function nextSlotAt(
  grants: readonly number[],
  now: number,
  perWindow: number,
  windowMs: number,
): number {
  const recent = grants.filter((t) => t > now - windowMs);
  if (recent.length < perWindow) return now;
  const blocking = recent[recent.length - perWindow] ?? now;
  return blocking + windowMs;
}

export interface Waiter {
  id: number;
  account: string;
  priority: CcPriority;
  enqueuedAt: number;
}

/**
 * Who gets the next slot: the highest priority that may still spend today; within it, the
 * account served least recently (round robin, so one account's backlog cannot starve another
 * at the same priority); then the longest waiting caller.
 */
export function chooseWaiter(
  waiters: readonly Waiter[],
  lastGrantByAccount: ReadonlyMap<string, number>,
  eligible: (priority: CcPriority) => boolean,
): Waiter | undefined {
  let best: Waiter | undefined;
  let bestKey: [number, number, number, number] | undefined;
  for (const w of waiters) {
    if (!eligible(w.priority)) continue;
    const key: [number, number, number, number] = [
      priorityRank(w.priority),
      lastGrantByAccount.get(w.account) ?? Number.NEGATIVE_INFINITY,
      w.enqueuedAt,
      w.id,
    ];
    if (!bestKey || lexLess(key, bestKey)) {
      best = w;
      bestKey = key;
    }
  }
  return best;
}

function lexLess(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x < y;
  }
  return false;
}

/**
 * Seconds between two runs of a recurring job of one connection (a poll), when such runs may
 * spend `share` of the day's requests, each costs `callsPerRun`, and `connections` share the
 * application key; never more often than every `minSeconds`.
 */
export function shareInterval(input: {
  connections: number;
  perDay: number;
  share: number;
  callsPerRun: number;
  minSeconds: number;
}): number {
  const runsPerDay = (input.perDay * input.share) / input.callsPerRun;
  return Math.max(
    input.minSeconds,
    Math.ceil((86_400 * Math.max(1, input.connections)) / runsPerDay),
  );
}
