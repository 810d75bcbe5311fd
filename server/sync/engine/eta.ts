/**
 * The ETA of a running initial sync, from the API budgets (DESIGN §7: "spreads large jobs
 * across days with a visible ETA"): the calls still needed on each side, at the rate each
 * side's limiter allows, within what is left of each day's budget, waiting for the next day
 * (00:00 UTC) where today's runs out. Pure: the route gathers the counts (run-eta.ts).
 *
 * The run reads both accounts at once, then writes; within each stage the two APIs work side
 * by side (initial.ts), so a stage takes as long as its slower side, and the budgets carry
 * over from one stage to the next.
 */

/** Planning batches of 500 are written in groups of ten: one CC import of up to 5,000 rows. */
export const IMPORT_ROWS = 5_000;
export const PAGE = 500;
/** Daily-budget tokens (`x-token-cost`, provider.ts): a persons page, and one create or PATCH. */
export const PIPEDRIVE_TOKENS = { readPage: 10, write: 5 } as const;

/** What is left of a run, as counted from its staging tables and checkpoint. */
export interface RunOutlook {
  direction: 'two_way' | 'to_cc' | 'to_pipedrive';
  /** Contacts CC says the account holds (the first page's count); null before it is read. */
  contactsTotal: number | null;
  contactsStaged: number;
  contactsRead: boolean;
  personsRead: boolean;
  /** Staged persons not yet written, and how many of them have no CC contact yet. */
  personsLeft: number;
  personsLeftWithoutContact: number;
  /** Staged contacts no person owns, not yet written: a Pipedrive create each (two-way). */
  contactsLeftWithoutPerson: number;
  /** Pipedrive persons still to update (estimated from the last dry-run, else 0). */
  personUpdatesLeft: number;
  /** Linked persons whose "Constant Contact status" still has to be written. */
  statusesLeft: number;
}

/** Calls one stage needs; Pipedrive's also in daily-budget tokens. */
export interface StageCalls {
  cc: number;
  pipedrive: number;
  pipedriveTokens: number;
}

export interface SideBudget {
  /** Calls per second the limiter grants. */
  perSecond: number;
  /** Daily units (CC: requests; Pipedrive: tokens) this job may still spend today, and per day. */
  leftToday: number;
  perDay: number;
}

/** The calls left, per stage: reading, then writing. */
export function callsLeft(o: RunOutlook): [StageCalls, StageCalls] {
  const contactPages = o.contactsRead
    ? 0
    : o.contactsTotal === null
      ? 1
      : Math.max(1, Math.ceil(Math.max(0, o.contactsTotal - o.contactsStaged) / PAGE));
  // Pipedrive gives no count: an account still being read needs at least one more page.
  const personPages = o.personsRead ? 0 : 1;
  const reading: StageCalls = {
    cc: contactPages,
    pipedrive: personPages,
    pipedriveTokens: personPages * PIPEDRIVE_TOKENS.readPage,
  };
  const toCc = o.direction !== 'to_pipedrive';
  const toPipedrive = o.direction !== 'to_cc';
  const rows = toCc ? o.personsLeft : 0;
  const creates = toCc ? o.personsLeftWithoutContact : 0;
  // Each import is followed by one activity read; created contacts are read back by the page.
  const imports = Math.ceil(rows / IMPORT_ROWS);
  const pipedriveWrites =
    (toPipedrive ? o.contactsLeftWithoutPerson + o.personUpdatesLeft : 0) + o.statusesLeft;
  const writing: StageCalls = {
    cc: imports * 2 + Math.ceil(creates / PAGE),
    pipedrive: pipedriveWrites,
    pipedriveTokens: pipedriveWrites * PIPEDRIVE_TOKENS.write,
  };
  return [reading, writing];
}

/**
 * Seconds until the stages are done, or null when a side can never finish (a daily budget
 * smaller than one call). `secondsToMidnight`: until the budgets' day starts over.
 */
export function etaSeconds(
  stages: readonly StageCalls[],
  budgets: { cc: SideBudget; pipedrive: SideBudget },
  secondsToMidnight: number,
): number | null {
  const days = {
    cc: { dayEnd: secondsToMidnight, left: budgets.cc.leftToday },
    pipedrive: { dayEnd: secondsToMidnight, left: budgets.pipedrive.leftToday },
  };
  let clock = 0;
  for (const stage of stages) {
    const cc = spend(stage.cc, 1, clock, budgets.cc, days.cc);
    const pipedrive = spend(
      stage.pipedrive,
      stage.pipedrive > 0 ? stage.pipedriveTokens / stage.pipedrive : 0,
      clock,
      budgets.pipedrive,
      days.pipedrive,
    );
    if (cc === null || pipedrive === null) return null;
    clock = Math.max(cc, pipedrive);
  }
  return Math.ceil(clock);
}

const DAY_SECONDS = 86_400;

/**
 * When `calls` calls of `cost` units each, started at `start`, are done at `side.perSecond`,
 * spending today's units first and waiting for each next day when they run out. Updates `day`.
 */
function spend(
  calls: number,
  cost: number,
  start: number,
  side: SideBudget,
  day: { dayEnd: number; left: number },
): number | null {
  if (calls <= 0) return start;
  if (side.perSecond <= 0 || (cost > 0 && side.perDay < cost)) return null;
  let t = start;
  let n = calls;
  while (n > 0) {
    while (t >= day.dayEnd) {
      day.dayEnd += DAY_SECONDS;
      day.left = side.perDay;
    }
    const affordable = cost > 0 ? Math.floor(day.left / cost) : n;
    if (affordable <= 0) {
      t = day.dayEnd;
      continue;
    }
    const take = Math.min(n, affordable);
    t += take / side.perSecond;
    n -= take;
    day.left -= take * cost;
  }
  return t;
}
