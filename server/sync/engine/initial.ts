/**
 * The initial (historical) sync of a connection, and its dry-run (DESIGN §3): read both
 * accounts into staging tables, match there by primary email, plan each pair with the pure
 * core, and (unless dry-run) write the plan through the APIs in batches of 500. Progress and
 * result live in `sync_runs`; a checkpoint after every page and batch makes the job resumable.
 * A dry-run goes through the same planning, so its counts are what the real run will do.
 */
import { sql } from 'kysely';
import { toAppError } from '../../api/app-error.ts';
import { withRetry } from '../../api/retry.ts';
import type { AppApis } from '../../app.ts';
import type { Database } from '../../db/database.ts';
import { AppError, isAppError } from '../../errors.ts';
import { classifyJobError } from '../../jobs/classify.ts';
import type { Logger } from '../../log.ts';
import type { LinkSnapshot, Plan, SyncAction } from '../core/actions.ts';
import type { CompiledField } from '../core/fields.ts';
import type { ContactSnapshot, PersonSnapshot } from '../core/map.ts';
import { plan } from '../core/plan.ts';
import {
  type ConnectionSettings,
  compileMapping,
  connectionSettings,
  validateMapping,
} from '../settings.ts';
import { ccStatusOf, ensureStatusField, showCcStatus, statusToWrite } from './cc-status.ts';
import { type BatchItem, eachConcurrently, recordBatch, writeBatch } from './execute.ts';
import { loadFields } from './fields.ts';
import { settleAddresses } from './settle.ts';
import { readsEveryPerson, type StageCheckpoint, stageContacts, stagePersons } from './stage.ts';

const BATCH = 500;
/** Planning batches written together: one CC import of up to 5,000 rows (the bulk minimum). */
const GROUP = 10;
const STATUS_CONCURRENCY = 4;
const SAMPLES = 5;

export interface RunResult {
  counts: Partial<Record<SyncAction['kind'], number>>;
  conflicts: Record<string, { pipedrive: number; constant_contact: number }>;
  excluded: Record<string, number>;
  duplicates: number;
  errors: Record<string, number>;
  samples: Partial<
    Record<
      SyncAction['kind'],
      { personId: number | null; contactId: string | null; email: string | null }[]
    >
  >;
  mappingProblems?: { row: number; code: string; message: string }[];
}

interface Checkpoint extends StageCheckpoint {
  lastPersonId?: number;
  lastContactId?: string;
  personsPlanned?: boolean;
}

export interface InitialSyncDeps {
  db: Database;
  apis: AppApis;
  logger: Logger;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export async function runInitialSync(
  deps: InitialSyncDeps,
  job: { connectionId: number; runId: number; dryRun: boolean },
): Promise<RunResult> {
  const now = deps.now ?? Date.now;
  const { db } = deps;
  const connection = await db
    .selectFrom('connections')
    .select(['id', 'company_id', 'settings', 'status'])
    .where('id', '=', job.connectionId)
    .executeTakeFirstOrThrow();
  const run = await db
    .selectFrom('sync_runs')
    .selectAll()
    .where('id', '=', job.runId)
    .executeTakeFirstOrThrow();
  if (run.status === 'completed' || run.status === 'cancelled')
    return run.result as unknown as RunResult;

  const settings = connectionSettings.safeParse(connection.settings);
  if (!settings.success) return fail(db, job.runId, 'SETTINGS_INVALID');
  const clients = await deps.apis.forCompany(connection.company_id, 'historical');

  await setPhase(db, job.runId, 'fields', { started: true });
  // A resumed run keeps the start of its first attempt: the poll takes over from there.
  const startedAt = run.started_at ?? new Date(now());
  const loaded = await loadFields(clients);
  const problems = validateMapping(
    settings.data.mapping,
    loaded.available,
    settings.data.direction,
  );
  if (problems.length > 0)
    return fail(db, job.runId, 'MAPPING_INVALID', { mappingProblems: problems });
  const fields = compileMapping(settings.data.mapping, loaded.available, settings.data.direction);

  let checkpoint = run.checkpoint as Checkpoint;
  const result: RunResult = { ...emptyResult(), ...(run.result as Partial<RunResult>) };
  // Both sides are read at once, each saving its own keys: merged in Postgres, so neither
  // overwrites the other's position with an older one.
  const saveCheckpoint = async (next: StageCheckpoint, trx: Database) => {
    checkpoint = { ...checkpoint, ...next };
    await trx
      .updateTable('sync_runs')
      .set({ checkpoint: sql`checkpoint || ${JSON.stringify(next)}::jsonb` })
      .where('id', '=', job.runId)
      .execute();
  };
  const statusDeps = { db, clients, connectionId: job.connectionId, logger: deps.logger };
  // Opted-out and pending contacts' persons get their status while CC is still being read
  // (see statusesWhileReading); not in a dry-run, which writes nothing.
  const early = job.dryRun
    ? undefined
    : statusesWhileReading(statusDeps, { ...job, settings: settings.data, fields, now });
  const stageCtx = {
    db,
    clients,
    runId: job.runId,
    settings: settings.data,
    fields,
    checkpoint,
    saveCheckpoint,
    onPage: async (kind: 'persons' | 'contacts', count: number, ids?: string[]) => {
      await db
        .updateTable('sync_runs')
        .set({ done: sql`done + ${count}` })
        .where('id', '=', job.runId)
        .execute();
      if (ids) early?.page(ids);
      deps.logger.debug({ runId: job.runId, kind, count }, 'staged a page');
    },
  };
  if (!checkpoint.personsDone || !checkpoint.contactsDone) {
    // The two APIs have separate limits: both accounts are read at the same time.
    await setPhase(db, job.runId, 'reading');
    await settleAll([
      checkpoint.personsDone
        ? undefined
        : stagePersons(stageCtx).then(() => early?.personsStaged()),
      checkpoint.contactsDone ? undefined : stageContacts(stageCtx),
    ]);
  }

  await setPhase(db, job.runId, job.dryRun ? 'planning' : 'writing');
  // Fresh statistics for the tables just filled: without them the matching joins below are
  // planned for empty tables.
  await sql`ANALYZE sync_stage_persons, sync_stage_contacts`.execute(db);
  const total = await countUnits(db, job.runId);
  await db
    .updateTable('sync_runs')
    .set({ total, ...(checkpoint.lastPersonId || checkpoint.lastContactId ? {} : { done: 0 }) })
    .where('id', '=', job.runId)
    .execute();

  const planCtx = {
    db,
    connectionId: job.connectionId,
    runId: job.runId,
    settings: settings.data,
    fields,
    now,
  };
  const execute = async (items: BatchItem[], next: Checkpoint) => {
    const written = job.dryRun
      ? { contactIds: new Map(), personIds: new Map(), failed: new Map() }
      : await writeBatch(
          {
            db,
            clients,
            connectionId: job.connectionId,
            targetListIds: settings.data.targetListIds,
            customFieldNames: loaded.ccCustomFieldNames,
            now,
            sleep: deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
          },
          items,
        );
    for (const item of items) tally(result, item);
    await db.transaction().execute(async (trx) => {
      if (!job.dryRun) await recordBatch(trx, job.connectionId, items, written, new Date(now()));
      checkpoint = next;
      await trx
        .updateTable('sync_runs')
        .set({
          checkpoint: JSON.stringify(checkpoint),
          result: JSON.stringify(result),
          done: sql`done + ${items.length}`,
        })
        .where('id', '=', job.runId)
        .execute();
    });
  };

  // The "Constant Contact status" of linked persons goes to Pipedrive in the background, a
  // group behind the writes, so Pipedrive's budget is spent while CC's imports run.
  // After the early pass (statusesWhileReading), so a person is never written twice.
  let statuses: Promise<void> = early?.finish() ?? Promise.resolve();
  let statusError: { error: unknown } | undefined;
  const queueStatuses = (after: number, upTo: number) => {
    if (job.dryRun) return;
    statuses = statuses
      .then(() =>
        statusError ? undefined : showStagedStatuses(statusDeps, job.runId, after, upTo),
      )
      .catch((error: unknown) => {
        statusError ??= { error };
      });
  };
  // Addresses pairs of this run moved off (see settleAddresses after the writes).
  const movedOff = new Set<string>();
  try {
    if (!checkpoint.personsPlanned) {
      // Before the persons are planned: a contact held by a person who is gone is free for the
      // person who now has its email.
      const unstaged = await markUnstagedLinks(planCtx, startedAt, job.dryRun);
      if (unstaged > 0) result.counts.mark_link = (result.counts.mark_link ?? 0) + unstaged;
      if (!job.dryRun) await resolveErrorsOfGonePersons(planCtx, startedAt);
      if (!job.dryRun) await storeFilterMembership(planCtx);
      await writeGroups(
        checkpoint.lastPersonId ?? 0,
        (after) => personBatch(planCtx, after),
        async (items, from, last) => {
          await execute(items, { ...checkpoint, lastPersonId: last });
          if (statusError) throw statusError.error;
          queueStatuses(from, last);
          for (const item of items) for (const email of item.movesOff ?? []) movedOff.add(email);
        },
      );
      checkpoint = { ...checkpoint, personsPlanned: true };
    }
    await writeGroups(
      checkpoint.lastContactId ?? '',
      (after) => contactBatch(planCtx, after),
      async (items, _from, last) => {
        await execute(items, { ...checkpoint, personsPlanned: true, lastContactId: last });
        if (statusError) throw statusError.error;
      },
    );
  } finally {
    await statuses;
  }
  if (statusError) throw statusError.error;

  // A person or contact waiting for an address a pair of this run moved off was planned
  // against that pair (as its duplicate, or as owned by it), whichever came first in id
  // order: each such address is settled now, from both APIs. A dry-run cannot know which
  // moves will go through and leaves this out (it only happens when changes were missed).
  // After a crash, the next scan finds them.
  if (!job.dryRun && movedOff.size > 0) {
    const kinds = await settleAddresses(
      deps,
      { companyId: connection.company_id, runId: job.runId },
      [...movedOff],
    );
    for (const kind of kinds) result.counts[kind] = (result.counts[kind] ?? 0) + 1;
  }

  // Whatever the background did not cover (persons created from contacts, a resumed run).
  if (!job.dryRun) await showStagedStatuses(statusDeps, job.runId, 0);

  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('sync_runs')
      .set({
        status: 'completed',
        phase: 'done',
        finished_at: new Date(now()),
        result: JSON.stringify(result),
      })
      .where('id', '=', job.runId)
      .execute();
    if (!job.dryRun) {
      await trx
        .updateTable('connections')
        .set({
          // The initial run activates the connection; a later scan leaves its status alone.
          ...(run.kind === 'initial' ? { status: 'active' } : {}),
          cursors: sql`cursors || ${JSON.stringify(finishedCursors(run.kind, startedAt, now()))}::jsonb`,
          updated_at: new Date(now()),
        })
        .where('id', '=', job.connectionId)
        .execute();
    }
    await trx.deleteFrom('sync_stage_persons').where('run_id', '=', job.runId).execute();
    await trx.deleteFrom('sync_stage_contacts').where('run_id', '=', job.runId).execute();
  });
  deps.logger.info(
    { runId: job.runId, dryRun: job.dryRun, counts: result.counts },
    'initial sync finished',
  );
  return result;
}

interface StatusRun {
  runId: number;
  settings: ConnectionSettings;
  fields: readonly CompiledField[];
  now: () => number;
}

/**
 * The status field of persons the run is about to link to an opted-out, pending or
 * unconfirmed contact, written while CC's pages are still coming in: at real limits reading
 * CC takes seconds, and these writes are most of the run's Pipedrive calls, so waiting for the
 * match would add their whole time to the run (bench/initial-sync). Once every person is
 * staged (owners of duplicate emails chosen), each stored CC page is matched on its own; the
 * pages stored before that are matched in one go. Only pairs the planner links (no link
 * either side has yet) are written, and each write is recorded on the staged person, so the
 * pass after the writes (showStagedStatuses) finds the field already saying it and only
 * records it on the new link. Serial, a few writes at a time; a failure stops this early pass
 * (the pass after the writes covers what it left) and is not the run's failure.
 */
function statusesWhileReading(deps: Parameters<typeof showCcStatus>[0], run: StatusRun) {
  let ready = false;
  let stopped = false;
  let chain: Promise<void> = Promise.resolve();
  const queue = (ids: string[] | 'all') => {
    chain = chain.then(async () => {
      if (stopped) return;
      try {
        await showPairStatuses(deps, run, ids);
      } catch (error) {
        stopped = true;
        deps.logger?.warn(
          { runId: run.runId, error: toAppError(error)?.code ?? (error as Error)?.name },
          'status writes during the read stopped; the pass after the writes covers them',
        );
      }
    });
  };
  return {
    personsStaged() {
      ready = true;
      queue('all');
    },
    page(ids: string[]) {
      if (ready) queue(ids);
    },
    finish: () => chain,
  };
}

async function showPairStatuses(
  deps: Parameters<typeof showCcStatus>[0],
  run: StatusRun,
  ids: string[] | 'all',
): Promise<void> {
  const { rows } = await sql<{
    person_id: number;
    person: PersonSnapshot;
    p_in_rule: boolean;
    contact: ContactSnapshot;
    c_in_rule: boolean;
  }>`
    SELECT p.person_id, p.snapshot AS person, p.in_rule AS p_in_rule,
      c.snapshot AS contact, c.in_rule AS c_in_rule
    FROM sync_stage_contacts c
    JOIN sync_stage_persons p
      ON p.run_id = c.run_id AND p.email = c.email AND p.duplicate_of IS NULL
    WHERE c.run_id = ${run.runId}
      AND ${ids === 'all' ? sql`true` : sql`c.contact_id = ANY(${ids})`}
      AND c.snapshot->>'deleted_at' IS NULL
      AND coalesce(c.snapshot->'email_address'->>'permission_to_send', '')
          NOT IN ('implicit', 'explicit')
      AND NOT EXISTS (SELECT 1 FROM links l WHERE l.connection_id = ${deps.connectionId}
                      AND (l.person_id = p.person_id OR l.contact_id = c.contact_id))
    ORDER BY p.person_id`.execute(deps.db);
  const settings = planSettings(run.settings);
  const linked = rows.filter((row) =>
    plan({
      person: row.person,
      contact: row.contact,
      link: null,
      settings,
      fields: run.fields,
      inPipedriveRule: row.p_in_rule,
      inCcRule: row.c_in_rule,
      now: new Date(run.now()).toISOString(),
    }).actions.some((a) => a.kind === 'link'),
  );
  if (linked.length === 0) return;
  const key = await ensureStatusField(deps);
  if (!key) return;
  await eachConcurrently(linked, STATUS_CONCURRENCY, async (row) => {
    const value = statusToWrite(null, ccStatusOf(row.contact));
    // Never a write that changes nothing (a Pipedrive merge may have copied the field).
    if (value === null || row.person.custom_fields?.[key] === value) return;
    await withRetry(
      () =>
        deps.clients.pipedrive.persons.patch(row.person_id, {
          custom_fields: { [key]: value },
        } as Parameters<typeof deps.clients.pipedrive.persons.patch>[1]),
      { maxAttempts: 5, maxWaitMs: 10_000 },
    );
    // What the person now shows, for the pass after the writes (showStagedStatuses).
    await sql`
      UPDATE sync_stage_persons
      SET snapshot = jsonb_set(snapshot, '{custom_fields}',
        coalesce(snapshot->'custom_fields', '{}'::jsonb) || jsonb_build_object(${key}::text, ${value}::text))
      WHERE run_id = ${run.runId} AND person_id = ${row.person_id}`.execute(deps.db);
  });
}

/**
 * After the writes: linked persons whose contact is opted out, deleted or otherwise not
 * subscribed show it in the "Constant Contact status" field (cc-status.ts); subscribed ones
 * cost nothing. A link still active whose staged contact was deleted was revived by this run.
 * Idempotent, so a resumed run simply goes over it again.
 */
async function showStagedStatuses(
  deps: Parameters<typeof showCcStatus>[0],
  runId: number,
  from: number,
  upTo = Number.MAX_SAFE_INTEGER,
): Promise<void> {
  let after = from;
  for (;;) {
    const { rows } = await sql<{
      person_id: number;
      cc_status: string | null;
      state: string;
      contact: ContactSnapshot;
      shown: Record<string, unknown> | null;
    }>`
      SELECT l.person_id, l.cc_status, l.state, c.snapshot AS contact,
        p.snapshot->'custom_fields' AS shown
      FROM links l
      JOIN sync_stage_contacts c ON c.run_id = ${runId} AND c.contact_id = l.contact_id
      LEFT JOIN sync_stage_persons p ON p.run_id = ${runId} AND p.person_id = l.person_id
      WHERE l.connection_id = ${deps.connectionId} AND l.person_id > ${after}
        AND l.person_id <= ${upTo} AND l.state IN ('active', 'contact_deleted')
        AND (l.cc_status IS NOT NULL OR c.snapshot->>'deleted_at' IS NOT NULL
             OR coalesce(c.snapshot->'email_address'->>'permission_to_send', '')
                NOT IN ('implicit', 'explicit'))
      ORDER BY l.person_id
      LIMIT ${BATCH}`.execute(deps.db);
    const needed = rows.filter((row) => {
      const revived = Boolean(row.contact.deleted_at) && row.state === 'active';
      return statusToWrite(row.cc_status, ccStatusOf(row.contact, revived)) !== null;
    });
    const key = needed.length > 0 ? await ensureStatusField(deps) : null;
    // A few at once: each is one Pipedrive call, paced by its budget (pipedrive-budget.ts).
    await eachConcurrently(key ? needed : [], STATUS_CONCURRENCY, async (row) => {
      const revived = Boolean(row.contact.deleted_at) && row.state === 'active';
      // Calls running at once can still meet a 429 (headers arrive out of order): waited out
      // here, as the PATCH only sets the field again.
      await withRetry(
        () =>
          showCcStatus(
            deps,
            { personId: row.person_id, written: row.cc_status },
            ccStatusOf(row.contact, revived),
            key ?? undefined,
            // As read by this run: a status a Pipedrive merge already copied is not sent again.
            row.shown,
          ),
        { maxAttempts: 5, maxWaitMs: 10_000 },
      );
    });
    const last = rows.at(-1);
    if (!last || rows.length < BATCH) return;
    after = last.person_id;
  }
}

/**
 * Plans batches of 500 and writes them in groups of GROUP batches (one CC import each), the
 * next batch planned while the current group is written. A group is recorded with the
 * checkpoint after its last batch, so a resumed run plans again from there: planning reads
 * only rows past the cursor, which the group being written does not touch.
 */
async function writeGroups<K, T extends BatchItem>(
  first: K,
  planBatch: (after: K) => Promise<{ items: T[]; last: K }>,
  write: (items: T[], from: K, last: K) => Promise<void>,
): Promise<void> {
  let from = first;
  let pending: Promise<{ items: T[]; last: K }> | undefined = early(planBatch(first));
  while (pending) {
    const items: T[] = [];
    let last = from;
    // The first group is one batch, so the work that waits for written links starts early.
    for (let n = 0; n < (from === first ? 1 : GROUP) && pending; n++) {
      const batch: { items: T[]; last: K } = await pending;
      pending = batch.items.length === BATCH ? early(planBatch(batch.last)) : undefined;
      for (const item of batch.items) items.push(item);
      last = batch.last;
    }
    if (items.length > 0) await write(items, from, last);
    from = last;
  }
}

/** Waits for every promise, then throws the first failure (none is left running). */
async function settleAll(promises: (Promise<void> | undefined)[]): Promise<void> {
  const outcomes = await Promise.allSettled(promises);
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) throw failed.reason;
}

/** A promise started ahead of its use, whose failure is handled where it is awaited. */
function early<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/**
 * The cursors a finished run leaves. The initial run read everything changed before it
 * started, so the CC poll's watermarks start there: a change made while it ran (after its
 * contact was read) is polled, not skipped. A scan leaves the poll's watermarks alone (the
 * poll ran meanwhile) and notes when it ran, for the next scheduled one (scan.ts).
 */
function finishedCursors(kind: string, startedAt: Date, finished: number) {
  if (kind !== 'initial') return { lastScanAt: new Date(finished).toISOString() };
  const start = startedAt.toISOString();
  return {
    initialSyncAt: start,
    ccUpdatedAfter: start,
    ccOptoutAfter: start,
    lastScanAt: new Date(finished).toISOString(),
  };
}

interface PlanCtx {
  db: Database;
  connectionId: number;
  runId: number;
  settings: ConnectionSettings;
  fields: readonly CompiledField[];
  now: () => number;
}

/** A planned person; `movesOff`: addresses the pair leaves on either side (an email change). */
interface PersonItem extends BatchItem {
  movesOff?: string[];
}

/** Persons in id order, each with the contact owning its email (owners only) and its link. */
async function personBatch(
  ctx: PlanCtx,
  after: number,
): Promise<{ items: PersonItem[]; last: number }> {
  const rows = await sql<{
    person_id: number;
    email: string | null;
    duplicate_of: number | null;
    p_in_rule: boolean;
    person: PersonSnapshot;
    contact: ContactSnapshot | null;
    c_in_rule: boolean | null;
    link_contact_id: string | null;
    link_state: string | null;
    link_base: Record<string, unknown> | null;
    link_email: string | null;
    linked_contact: ContactSnapshot | null;
    linked_in_rule: boolean | null;
    holder: number | null;
    contact_email_taken: boolean;
  }>`
    SELECT p.person_id, p.email, p.duplicate_of, p.in_rule AS p_in_rule, p.snapshot AS person,
      c.snapshot AS contact, c.in_rule AS c_in_rule,
      l.contact_id AS link_contact_id, l.state AS link_state, l.base AS link_base, l.email AS link_email,
      lc.snapshot AS linked_contact, lc.in_rule AS linked_in_rule,
      (SELECT h.person_id FROM links h WHERE h.connection_id = ${ctx.connectionId}
         AND h.contact_id = c.contact_id AND h.person_id <> p.person_id
         AND h.state <> 'person_deleted' LIMIT 1) AS holder,
      (lc.email IS NOT NULL AND lc.email <> l.email AND EXISTS (SELECT 1 FROM links o
         WHERE o.connection_id = ${ctx.connectionId} AND o.email = lc.email
           AND o.person_id <> p.person_id AND o.state <> 'person_deleted')) AS contact_email_taken
    FROM sync_stage_persons p
    LEFT JOIN sync_stage_contacts c
      ON c.run_id = p.run_id AND c.email = p.email AND p.duplicate_of IS NULL
    LEFT JOIN links l ON l.connection_id = ${ctx.connectionId} AND l.person_id = p.person_id
    LEFT JOIN sync_stage_contacts lc ON lc.run_id = p.run_id AND lc.contact_id = l.contact_id
    WHERE p.run_id = ${ctx.runId} AND p.person_id > ${after}
    ORDER BY p.person_id
    LIMIT ${BATCH}`.execute(ctx.db);
  const items = rows.rows.map((row) => {
    const link: LinkSnapshot | null = row.link_contact_id
      ? {
          personId: row.person_id,
          contactId: row.link_contact_id,
          state: row.link_state as LinkSnapshot['state'],
          base: row.link_email
            ? {
                email: row.link_email,
                values: (row.link_base ?? {}) as Record<string, string | null>,
              }
            : null,
        }
      : null;
    const contact = link ? row.linked_contact : row.contact;
    // The contact's email changed in CC, the person's did not, and another linked person has
    // that address: written to the person it would collide (as person.ts syncPair checks).
    const contactEmailTaken =
      row.contact_email_taken && row.email === row.link_email && !contact?.deleted_at;
    const planned = plan({
      person: row.person,
      contact,
      link,
      settings: planSettings(ctx.settings),
      fields: ctx.fields,
      inPipedriveRule: row.p_in_rule,
      inCcRule: (link ? row.linked_in_rule : row.c_in_rule) ?? false,
      ...(contactEmailTaken ? { emailTaken: true } : {}),
      // The contact with this email is linked to another person (whose email changed, or who
      // is out of the rule): that person keeps it; this one is its duplicate.
      ...(row.duplicate_of
        ? { duplicateOf: row.duplicate_of }
        : !link && row.holder
          ? { duplicateOf: Number(row.holder) }
          : {}),
      now: new Date(ctx.now()).toISOString(),
    });
    const agreed = planned.base?.email;
    const movesOff = agreed
      ? [row.email, link?.base?.email, contact?.email_address?.address?.toLowerCase()].filter(
          (email): email is string => !!email && email !== agreed,
        )
      : [];
    return {
      plan: planned,
      personId: row.person_id,
      contactId: contact?.contact_id ?? null,
      email: row.email,
      contact,
      personInRule: row.p_in_rule,
      ...(movesOff.length > 0 ? { movesOff } : {}),
    };
  });
  return { items, last: rows.rows.at(-1)?.person_id ?? after };
}

/**
 * Linked persons the run did not read. When it read every person (readsEveryPerson: all
 * persons are in the rule, or contacts may become persons), they were deleted or merged away
 * without their webhook reaching us: `person_deleted`, which frees the contact for the person
 * who now has its email in this same run. Otherwise (a direction that never creates persons
 * reads filter members only) they may just have left every chosen filter: `out_of_rule`.
 * Their links stop syncing, marked as the planner would (DESIGN §3: nothing is deleted or
 * unsubscribed on the other side). A link written after the run started (a webhook job
 * meanwhile) is left alone. Idempotent: a resumed run finds nothing left to mark.
 */
async function markUnstagedLinks(ctx: PlanCtx, startedAt: Date, dryRun: boolean): Promise<number> {
  const state = readsEveryPerson(ctx.settings) ? 'person_deleted' : 'out_of_rule';
  const unstaged = (db: Database) =>
    db
      .selectFrom('links')
      .select(['id', 'person_id', 'contact_id'])
      .where('connection_id', '=', ctx.connectionId)
      .where('state', '=', 'active')
      .where('person_id', 'is not', null)
      .where('updated_at', '<', startedAt)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('sync_stage_persons')
              .select('person_id')
              .where('run_id', '=', ctx.runId)
              .whereRef('sync_stage_persons.person_id', '=', 'links.person_id'),
          ),
        ),
      );
  if (dryRun) return (await unstaged(ctx.db).execute()).length;
  return ctx.db.transaction().execute(async (trx) => {
    const rows = await unstaged(trx).forUpdate().execute();
    if (rows.length === 0) return 0;
    const at = new Date(ctx.now());
    await trx
      .updateTable('links')
      .set({ state, updated_at: at })
      .where(
        'id',
        'in',
        rows.map((r) => r.id),
      )
      .execute();
    await trx
      .insertInto('contact_events')
      .values(
        rows.map((r) => ({
          connection_id: ctx.connectionId,
          link_id: r.id,
          person_id: r.person_id,
          contact_id: r.contact_id,
          direction: 'none' as const,
          kind: 'mark_link',
          changes: JSON.stringify({ state }),
          reason:
            state === 'out_of_rule'
              ? 'the person left the chosen filters'
              : 'the person no longer exists in Pipedrive',
          created_at: at,
        })),
      )
      .execute();
    return rows.length;
  });
}

/**
 * Open errors of persons who no longer exist: deleted or merged away without their webhook
 * reaching us (a person job that sees the deletion resolves them itself, person.ts). Only when
 * the run read every person, and only errors seen before it started: a person created since
 * may not have been read. A deleted person has nothing left to fix (docs/errors.md).
 */
async function resolveErrorsOfGonePersons(ctx: PlanCtx, startedAt: Date): Promise<void> {
  if (!readsEveryPerson(ctx.settings)) return;
  await sql`
    UPDATE contact_errors e SET resolved_at = ${new Date(ctx.now())}
    WHERE e.connection_id = ${ctx.connectionId}
      AND e.resolved_at IS NULL
      AND e.person_id IS NOT NULL
      AND e.subject = 'person:' || e.person_id
      AND e.last_seen_at < ${startedAt}
      AND NOT EXISTS (SELECT 1 FROM sync_stage_persons p
                      WHERE p.run_id = ${ctx.runId} AND p.person_id = e.person_id)
  `.execute(ctx.db);
}

/**
 * What the run read of each linked person's filter membership goes on its link, for the person
 * jobs and polls until the next scan (person.ts): a pair planned "nothing" is not written by
 * recordBatch, and its person may have left or entered a filter all the same.
 */
async function storeFilterMembership(ctx: PlanCtx): Promise<void> {
  await sql`
    UPDATE links l SET person_in_rule = p.in_rule
    FROM sync_stage_persons p
    WHERE p.run_id = ${ctx.runId} AND l.connection_id = ${ctx.connectionId}
      AND l.person_id = p.person_id AND l.person_in_rule <> p.in_rule`.execute(ctx.db);
}

/** Contacts no staged person owns (and not linked to one), in id order. */
async function contactBatch(
  ctx: PlanCtx,
  after: string,
): Promise<{ items: BatchItem[]; last: string }> {
  const rows = await sql<{
    contact_id: string;
    email: string | null;
    in_rule: boolean;
    contact: ContactSnapshot;
  }>`
    SELECT c.contact_id, c.email, c.in_rule, c.snapshot AS contact
    FROM sync_stage_contacts c
    WHERE c.run_id = ${ctx.runId} AND c.contact_id > ${after}
      AND NOT EXISTS (SELECT 1 FROM sync_stage_persons p
                      WHERE p.run_id = c.run_id AND p.email = c.email AND p.duplicate_of IS NULL)
      AND NOT EXISTS (SELECT 1 FROM links l WHERE l.connection_id = ${ctx.connectionId} AND l.contact_id = c.contact_id)
    ORDER BY c.contact_id
    LIMIT ${BATCH}`.execute(ctx.db);
  const items = rows.rows.map((row) => ({
    plan: plan({
      person: null,
      contact: row.contact,
      link: null,
      settings: planSettings(ctx.settings),
      fields: ctx.fields,
      inPipedriveRule: false,
      inCcRule: row.in_rule,
      now: new Date(ctx.now()).toISOString(),
    }),
    personId: null,
    contactId: row.contact_id,
    email: row.email,
    // A person made from a contact is in no chosen filter until a scan finds it in one.
    personInRule: false,
  }));
  return { items, last: rows.rows.at(-1)?.contact_id ?? after };
}

/** The part of the settings the planner reads. */
export function planSettings(settings: ConnectionSettings) {
  return {
    direction: settings.direction,
    conflictWinner: settings.conflictWinner,
    targetListIds: settings.targetListIds,
    ...(settings.newPersonOwnerId ? { newPersonOwnerId: settings.newPersonOwnerId } : {}),
  };
}

async function countUnits(db: Database, runId: number): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    SELECT (SELECT count(*) FROM sync_stage_persons WHERE run_id = ${runId})
         + (SELECT count(*) FROM sync_stage_contacts c WHERE run_id = ${runId}
              AND NOT EXISTS (SELECT 1 FROM sync_stage_persons p WHERE p.run_id = c.run_id
                              AND p.email = c.email AND p.duplicate_of IS NULL)) AS n`.execute(db);
  return Number(rows[0]?.n ?? 0);
}

function emptyResult(): RunResult {
  return { counts: {}, conflicts: {}, excluded: {}, duplicates: 0, errors: {}, samples: {} };
}

function tally(result: RunResult, item: BatchItem): void {
  const planned: Plan = item.plan;
  for (const action of planned.actions) {
    result.counts[action.kind] = (result.counts[action.kind] ?? 0) + 1;
    if (action.kind === 'exclude')
      result.excluded[action.reason] = (result.excluded[action.reason] ?? 0) + 1;
    if (action.kind === 'record_error') {
      result.errors[action.code] = (result.errors[action.code] ?? 0) + 1;
      if (action.code === 'DUPLICATE_EMAIL') result.duplicates += 1;
    }
    const samples = result.samples[action.kind] ?? [];
    if (samples.length < SAMPLES && action.kind !== 'nothing') {
      samples.push({ personId: item.personId, contactId: item.contactId, email: item.email });
      result.samples[action.kind] = samples;
    }
  }
  for (const conflict of planned.conflicts) {
    const entry = result.conflicts[conflict.fieldId] ?? { pipedrive: 0, constant_contact: 0 };
    entry[conflict.winner] += 1;
    result.conflicts[conflict.fieldId] = entry;
  }
}

async function setPhase(
  db: Database,
  runId: number,
  phase: string,
  options: { started?: boolean } = {},
) {
  await db
    .updateTable('sync_runs')
    .set({
      phase,
      status: 'running',
      ...(options.started ? { started_at: sql`coalesce(started_at, now())` } : {}),
    })
    .where('id', '=', runId)
    .execute();
}

async function fail(
  db: Database,
  runId: number,
  code: 'SETTINGS_INVALID' | 'MAPPING_INVALID',
  extra: Partial<RunResult> = {},
): Promise<RunResult> {
  const result = { ...emptyResult(), ...extra };
  await db
    .updateTable('sync_runs')
    .set({ status: 'failed', error: code, finished_at: new Date(), result: JSON.stringify(result) })
    .where('id', '=', runId)
    .execute();
  throw new AppError(code, { detail: extra.mappingProblems ?? code });
}

/**
 * The `sync.initial` worker. A run that cannot go on (its failure is final, or this was the
 * queue's last retry) is marked failed with a catalogue code, so the settings page says what
 * happened instead of showing the run as running forever. The error still goes up, for the
 * job layer to classify and log.
 */
export async function initialSyncJob(
  deps: InitialSyncDeps,
  payload: { connectionId: number; runId: number; dryRun: boolean },
  job: { retryCount?: number; retryLimit?: number },
): Promise<void> {
  try {
    await runInitialSync(deps, payload);
  } catch (error) {
    const outcome = classifyJobError(error, (deps.now ?? Date.now)());
    const lastTry = job.retryLimit !== undefined && (job.retryCount ?? 0) >= job.retryLimit;
    if (outcome.kind === 'stop' || (outcome.kind === 'retry' && lastTry)) {
      const code = isAppError(error) ? error.code : (toAppError(error)?.code ?? 'INTERNAL');
      await deps.db
        .updateTable('sync_runs')
        .set({ status: 'failed', error: code, finished_at: new Date() })
        .where('id', '=', payload.runId)
        .where('status', 'in', ['queued', 'running'])
        .execute();
    }
    throw error;
  }
}
