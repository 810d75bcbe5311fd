/**
 * Carries out one batch of planned actions against both APIs, then records the outcome in one
 * transaction: links with their base, errors, history, the run's counts and its checkpoint.
 *
 * Crash safety (issue 6): CC writes go through the JSON import, which upserts by email, so
 * repeating a batch after a crash cannot duplicate a contact; a Pipedrive create is announced
 * in `sync_intents` before it is sent, and a repeated batch looks the email up first.
 */
import { type Insertable, sql, type Transaction } from 'kysely';
import { type ApiError, decideRetry, isApiError } from '../../api/errors.ts';
import type { CompanyClients } from '../../app.ts';
import { conflictingContactId } from '../../constant-contact/client.ts';
import type { CcContact } from '../../constant-contact/schemas.ts';
import type { Database } from '../../db/database.ts';
import type { DB } from '../../db/schema.ts';
import type { Plan, SyncAction } from '../core/actions.ts';
import type { ContactSnapshot, PersonSnapshot } from '../core/map.ts';
import type { ContactWrite } from '../core/map-write.ts';
import { TAKEN_EMAIL_KEY } from '../core/plan-util.ts';
import { importRow } from './import-rows.ts';

export interface BatchItem {
  plan: Plan;
  personId: number | null;
  contactId: string | null;
  email: string | null;
  /** The contact as read, when there is one: an update the import cannot make is PUT over it. */
  contact?: ContactSnapshot | null;
  /** The person as read, when there is one (its status field is not written again). */
  person?: PersonSnapshot | null;
  /** Whether the person is in the Pipedrive rule, as planned: stored on the link. */
  personInRule: boolean;
}

export interface ExecuteContext {
  db: Database;
  clients: CompanyClients;
  connectionId: number;
  targetListIds: string[];
  customFieldNames: ReadonlyMap<string, string>;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

type ContactWriteAction = Extract<
  SyncAction,
  { kind: 'create_contact' | 'update_contact' | 'revive_contact' }
>;

/**
 * Which pair of the batch a failure belongs to: its person, or its contact when it has no
 * person yet. Not its email, which two pairs of a batch may share (a person who just took
 * another's address).
 */
export function itemKey(item: Pick<BatchItem, 'personId' | 'contactId'>): string {
  return item.personId !== null ? `person:${item.personId}` : `contact:${item.contactId}`;
}

/** A write an API refused for good. */
export interface WriteFailure {
  message: string;
  /** CC refused the contact's new email because another contact holds it (409). */
  takenEmail?: string;
}

/**
 * What a refused write means for its pair. CC answers a PUT whose email another contact
 * holds with 409 (the scan, which does not look addresses up first, finds collisions so): that
 * is the pair's EMAIL_COLLISION, as the planner says it when it knows beforehand.
 */
export function writeFailure(error: ApiError, item: BatchItem): WriteFailure {
  const holder = conflictingContactId(error);
  const sent = item.plan.actions.flatMap((a) =>
    a.kind === 'update_contact' || a.kind === 'revive_contact'
      ? [a.body.email_address?.address?.toLowerCase()]
      : [],
  )[0];
  return holder && sent && holder !== item.contactId
    ? { message: error.message, takenEmail: sent }
    : { message: error.message };
}

/** Writes the batch to the APIs; returns the ids created, by email, and the failures by item. */
export async function writeBatch(
  ctx: ExecuteContext,
  items: BatchItem[],
): Promise<{
  contactIds: Map<string, string>;
  personIds: Map<string, number>;
  failed: Map<string, WriteFailure>;
}> {
  const personIds = new Map<string, number>();
  const failed = new Map<string, WriteFailure>();
  const pipedriveWrites = items.flatMap((item) =>
    item.plan.actions.flatMap((action) =>
      action.kind === 'create_person' || action.kind === 'update_person' ? [{ item, action }] : [],
    ),
  );
  // Pipedrive's writes (one call each, a few at once, paced by its budget) and CC's import run
  // side by side: the two APIs have separate limits.
  const pipedrive = eachConcurrently(
    pipedriveWrites,
    PIPEDRIVE_CONCURRENCY,
    async ({ item, action }) => {
      try {
        if (action.kind === 'create_person') {
          personIds.set(action.email, await createPerson(ctx, action));
        } else if (action.kind === 'update_person') {
          await ctx.clients.pipedrive.persons.patch(action.personId, action.body as never);
        }
      } catch (error) {
        // One person Pipedrive refuses (400, 404…) must not hold up the batch; a transient
        // failure goes up, and the whole batch is tried again.
        if (!isApiError(error) || decideRetry(error, 1, ctx.now()).action !== 'stop') throw error;
        failed.set(itemKey(item), { message: error.message });
      }
    },
  );
  const [, contactIds] = await settled(pipedrive, writeContacts(ctx, items, failed));
  return { contactIds, personIds, failed };
}

/** The batch's CC side: PUTs for what the import cannot do, one import for the rest. */
async function writeContacts(
  ctx: ExecuteContext,
  items: BatchItem[],
  failed: Map<string, WriteFailure>,
): Promise<Map<string, string>> {
  const writes: { item: BatchItem; action: ContactWriteAction; email: string }[] = [];
  // Addresses this batch's PUTs moved a contact onto (an email change): the import would
  // upsert a new contact for one of them onto that contact, over its fields (seed 3508).
  const movedOnto = new Set<string>();
  for (const item of items) {
    for (const action of item.plan.actions) {
      if (
        action.kind !== 'create_contact' &&
        action.kind !== 'update_contact' &&
        action.kind !== 'revive_contact'
      )
        continue;
      if (action.kind !== 'create_contact' && item.contact && !importable(item, action)) {
        try {
          await putContact(ctx.clients, item.contact, action.body);
          const moved = emailOf(action.body).toLowerCase();
          if (moved) movedOnto.add(moved);
        } catch (error) {
          // 409: the new email belongs to another contact; 400: CC refuses a value.
          if (!isApiError(error) || decideRetry(error, 1, ctx.now()).action !== 'stop') throw error;
          failed.set(itemKey(item), writeFailure(error, item));
        }
        continue;
      }
      // The import upserts by the row's email: an update or revive names the contact by the
      // address it has (the person's may differ, e.g. when CC changed it and Pipedrive is to
      // take it), so it reaches that contact and no other, nor makes a new one.
      const address =
        action.kind === 'create_contact'
          ? undefined
          : item.contact?.email_address?.address?.toLowerCase();
      writes.push({ item, action, email: address ?? item.email ?? emailOf(action.body) });
    }
  }
  for (const write of writes.filter(
    (w) => w.action.kind === 'create_contact' && movedOnto.has(w.email.toLowerCase()),
  )) {
    // The person keeps its address and stays unlinked: EMAIL_COLLISION, and the next scan
    // finds it the duplicate of the person whose contact now has the address.
    failed.set(itemKey(write.item), {
      message: `Another synced contact took ${write.email} in the same sync.`,
      takenEmail: write.email,
    });
    writes.splice(writes.indexOf(write), 1);
  }
  const contactIds = new Map<string, string>();
  if (writes.length > 0) {
    const started = new Date(ctx.now() - 1000).toISOString();
    const activity = await ctx.clients.cc.bulk.importContacts({
      import_data: writes.map((w) => importRow(w.email, w.action.body, ctx.customFieldNames)),
      list_ids: ctx.targetListIds,
    });
    const done = await waitForActivity(ctx, activity.activity_id);
    for (const message of done.activity_errors ?? []) {
      const write = writes.find((w) => String(message).includes(w.email));
      if (write) failed.set(itemKey(write.item), { message: String(message) });
    }
    const creates = new Set(
      writes.filter((w) => w.action.kind === 'create_contact').map((w) => w.email),
    );
    // The import answers no ids: read back the contacts it created (one call per 500). One it
    // updated instead (created by an attempt that crashed before recording it, or meanwhile in
    // CC) is found among those updated since it started.
    for (const filter of ['created_after', 'updated_after'] as const) {
      if (creates.size === contactIds.size) break;
      let next: string | undefined;
      do {
        const page = await ctx.clients.cc.contacts.list(
          { [filter]: started, status: ['all'], limit: 500 },
          next,
        );
        for (const contact of page.items) {
          const email = contact.email_address?.address?.toLowerCase();
          if (email && creates.has(email)) contactIds.set(email, contact.contact_id);
        }
        next = page.next;
      } while (next);
    }
  }
  return contactIds;
}

const PIPEDRIVE_CONCURRENCY = 1;

/** Both results once both have settled; the first failure is thrown (none is left running). */
async function settled<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [x, y] = await Promise.allSettled([a, b]);
  if (x.status === 'rejected') throw x.reason;
  if (y.status === 'rejected') throw y.reason;
  return [x.value, y.value];
}

/** Runs `each` over the items, at most `limit` at a time; the first failure is thrown. */
export async function eachConcurrently<T>(
  items: readonly T[],
  limit: number,
  each: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async () => {
    while (next < items.length && !failure) {
      try {
        await each(items[next++] as T);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure) throw failure.error;
}

/**
 * The import upserts by email and never blanks a field (constant-contact-api.md §8), so an
 * update or a revive that changes the contact's email (the import would create a second
 * contact, or write over the one holding that address) or empties a field goes through a PUT
 * of the contact, by its id, instead.
 */
export function importable(
  item: BatchItem,
  action: Extract<SyncAction, { kind: 'update_contact' | 'revive_contact' }>,
) {
  const current = item.contact?.email_address?.address?.toLowerCase();
  const next = action.body.email_address?.address?.toLowerCase();
  if (next !== undefined && next !== current) return false;
  if (action.kind === 'revive_contact')
    return Object.values(action.body).every((value) => value !== null);
  const agreed = item.plan.base?.values ?? {};
  return action.fields.every((field) => (agreed[field] ?? null) !== null);
}

/**
 * One contact, one PUT. PUT blanks what it is not sent (CC §4.5), so the body is the whole
 * current contact with the planned fields laid over it; the permission is never sent, so an
 * opted-out contact stays opted out.
 */
export async function putContact(
  clients: CompanyClients,
  current: ContactSnapshot,
  body: ContactWrite,
): Promise<CcContact> {
  const { contact_id, created_at, updated_at, deleted_at, email_address, ...rest } =
    current as ContactSnapshot & Record<string, unknown>;
  void created_at;
  void updated_at;
  void deleted_at;
  const address = body.email_address?.address ?? email_address?.address ?? '';
  return clients.cc.contacts.update(contact_id, {
    ...(rest as object),
    ...(body as object),
    email_address: { address },
    update_source: 'Account',
  } as Parameters<typeof clients.cc.contacts.update>[1]);
}

async function createPerson(
  ctx: ExecuteContext,
  action: Extract<SyncAction, { kind: 'create_person' }>,
): Promise<number> {
  const announced = await ctx.db
    .insertInto('sync_intents')
    .values({ connection_id: ctx.connectionId, side: 'pipedrive', email: action.email })
    .onConflict((oc) => oc.doNothing())
    .returning('email')
    .executeTakeFirst();
  if (!announced) {
    // Announced before, by a run that did not finish: it may have created the person already.
    const [existing] = await ctx.clients.pipedrive.persons.searchByEmail(action.email);
    if (existing) return existing.id;
  }
  const person = await ctx.clients.pipedrive.persons.create({
    ...action.body,
    ...(action.ownerId ? { owner_id: action.ownerId } : {}),
  } as never);
  return person.id;
}

async function waitForActivity(ctx: ExecuteContext, id: string) {
  for (let wait = 250; ; wait = Math.min(wait * 2, 5_000)) {
    const activity = await ctx.clients.cc.bulk.activity(id);
    if (
      activity.state === 'completed' ||
      activity.state === 'failed' ||
      activity.state === 'cancelled'
    ) {
      return activity as typeof activity & { activity_errors?: unknown[] };
    }
    await ctx.sleep(wait);
  }
}

function emailOf(body: ContactWrite): string {
  return body.email_address?.address ?? '';
}

/** Records a written (or planned, for a dry-run) batch: links, errors, history. */
export async function recordBatch(
  trx: Transaction<DB>,
  connectionId: number,
  items: BatchItem[],
  written: {
    contactIds: Map<string, string>;
    personIds: Map<string, number>;
    /** By itemKey. */
    failed: Map<string, WriteFailure>;
  },
  at: Date,
): Promise<void> {
  const links: Insertable<DB['links']>[] = [];
  // Pairs that synced cleanly: their older errors are resolved. A pair that raised an error
  // in this batch (e.g. a missing option while its other fields synced) keeps it open.
  const healed: { personId: number; contactId: string }[] = [];
  const events: Insertable<DB['contact_events']>[] = [];
  for (const item of items) {
    const email = item.email;
    const failure = written.failed.get(itemKey(item));
    let personId = item.personId;
    let contactId = item.contactId;
    for (const action of item.plan.actions) {
      if (action.kind === 'create_person') personId = written.personIds.get(action.email) ?? null;
      if (action.kind === 'create_contact')
        contactId = written.contactIds.get(action.email) ?? null;
      if (action.kind === 'link') {
        personId = action.personId;
        contactId = action.contactId;
      }
    }
    // Errors and link marks are rare: one statement each is fine.
    for (const action of item.plan.actions) {
      if (action.kind === 'record_error') {
        await recordError(
          trx,
          connectionId,
          { personId: action.personId ?? personId, contactId: action.contactId ?? contactId },
          action.code,
          {
            ...(action.fieldId ? { fieldId: action.fieldId } : {}),
            ...(action.detail ? { detail: action.detail } : {}),
          },
        );
        if (action.code === 'EMAIL_COLLISION' && action.email)
          await noteTakenEmail(trx, connectionId, action.personId ?? personId, action.email);
      }
      // A revive or update CC refused leaves the link as it was: not made active again.
      if (action.kind === 'mark_link' && !(failure && action.state === 'active')) {
        await trx
          .updateTable('links')
          .set({ state: action.state, updated_at: at })
          .where('connection_id', '=', connectionId)
          .where('person_id', '=', action.personId)
          .execute();
      }
    }
    // A refused revive leaves the contact deleted, and the link says so.
    if (failure && personId && item.plan.actions.some((a) => a.kind === 'revive_contact')) {
      await trx
        .updateTable('links')
        .set({ state: 'contact_deleted', updated_at: at })
        .where('connection_id', '=', connectionId)
        .where('person_id', '=', personId)
        .where('state', '=', 'active')
        .execute();
    }
    if (failure?.takenEmail) {
      await recordError(trx, connectionId, { personId, contactId }, 'EMAIL_COLLISION', {
        detail: `The new email ${failure.takenEmail} belongs to another synced contact.`,
      });
      await noteTakenEmail(trx, connectionId, personId, failure.takenEmail);
      continue;
    }
    if (failure) {
      await recordError(trx, connectionId, { personId, contactId }, 'SYNC_WRITE_REJECTED', {
        detail: failure.message,
      });
      continue;
    }
    const base = item.plan.base;
    // A pair whose link was just marked (person or contact deleted, out of rule), or already
    // was, keeps that mark: upserting it as active here would undo it.
    const marked = item.plan.actions.some(
      (a) =>
        (a.kind === 'mark_link' && a.state !== 'active') ||
        (a.kind === 'nothing' && a.reason === 'already_marked'),
    );
    // A refused email change wrote nothing: the link keeps its state and base as they were.
    const collided = item.plan.actions.some(
      (a) => a.kind === 'record_error' && a.code === 'EMAIL_COLLISION',
    );
    if (!base || marked || collided || personId === null || contactId === null || !email) continue;
    if (!item.plan.actions.some((a) => a.kind === 'record_error'))
      healed.push({ personId, contactId });
    links.push({
      connection_id: connectionId,
      person_id: personId,
      contact_id: contactId,
      // The email both sides agreed on, not the person's: after a refused email change (a
      // collision) the person's new address is not the contact's, and taking it for the base
      // would make the next sync copy the contact's old address back over it.
      email: base.email || email,
      base: JSON.stringify(base.values),
      state: 'active',
      person_in_rule: item.personInRule,
      last_synced_at: at,
    });
    for (const action of item.plan.actions) {
      if (action.kind === 'nothing' || action.kind === 'record_error') continue;
      events.push({
        connection_id: connectionId,
        person_id: personId,
        contact_id: contactId,
        direction: directionOf(action),
        kind: action.kind,
        changes: JSON.stringify('fields' in action ? { fields: action.fields } : {}),
        reason: 'initial sync',
        created_at: at,
      });
    }
  }
  // The rest in a few statements per batch, not per contact: the sync loop is the hot path.
  for (const chunk of chunks(links)) {
    // A contact whose person was deleted is free: the person now linked to it takes it over.
    await trx
      .deleteFrom('links')
      .where('connection_id', '=', connectionId)
      .where('state', '=', 'person_deleted')
      .where(
        'contact_id',
        'in',
        chunk.map((l) => l.contact_id as string),
      )
      .execute();
    await trx
      .insertInto('links')
      .values(chunk)
      .onConflict((oc) =>
        oc
          .columns(['connection_id', 'person_id'])
          .where('person_id', 'is not', null)
          .doUpdateSet((eb) => ({
            contact_id: eb.ref('excluded.contact_id'),
            email: eb.ref('excluded.email'),
            base: eb.ref('excluded.base'),
            person_in_rule: eb.ref('excluded.person_in_rule'),
            state: 'active',
            last_synced_at: at,
            updated_at: at,
          })),
      )
      .execute();
  }
  for (const chunk of chunks(healed)) {
    // Synced now: whatever was wrong with these persons, and with these contacts on their own,
    // is resolved. Not another person's error that names the contact (a duplicate of its
    // owner, a collision with its address): that person is not synced by this.
    await resolveErrors(
      trx,
      connectionId,
      chunk.flatMap((h) => [`person:${h.personId}`, `contact:${h.contactId}`]),
      at,
    );
  }
  for (const chunk of chunks(links)) {
    await trx
      .deleteFrom('sync_intents')
      .where('connection_id', '=', connectionId)
      .where(
        'email',
        'in',
        chunk.map((l) => l.email),
      )
      .execute();
  }
  for (const chunk of chunks(events))
    await trx.insertInto('contact_events').values(chunk).execute();
}

/** Rows in slices of 1,000: a statement stays under Postgres's 65,535 parameters. */
function* chunks<T>(rows: T[]): Generator<T[]> {
  for (let i = 0; i < rows.length; i += 1000) yield rows.slice(i, i + 1000);
}

function directionOf(action: SyncAction): 'to_cc' | 'to_pipedrive' | 'none' {
  switch (action.kind) {
    case 'create_contact':
    case 'update_contact':
    case 'revive_contact':
      return 'to_cc';
    case 'create_person':
    case 'update_person':
      return 'to_pipedrive';
    default:
      return 'none';
  }
}

/**
 * Notes on the person's link an address CC refused because another contact holds it, for the
 * planner (plan-util.ts `TAKEN_EMAIL_KEY`): the scan then reports the collision instead of
 * sending the write again. The base values stay as they were.
 */
async function noteTakenEmail(
  trx: Transaction<DB>,
  connectionId: number,
  personId: number | null | undefined,
  email: string,
): Promise<void> {
  if (!personId) return;
  await trx
    .updateTable('links')
    .set({ base: sql`base || ${JSON.stringify({ [TAKEN_EMAIL_KEY]: email })}::jsonb` })
    .where('connection_id', '=', connectionId)
    .where('person_id', '=', personId)
    .execute();
}

/** Marks the open errors of these subjects (`person:<id>`, `contact:<id>`) resolved. */
export async function resolveErrors(
  db: Transaction<DB> | Database,
  connectionId: number,
  subjects: readonly string[],
  at: Date,
): Promise<void> {
  if (subjects.length === 0) return;
  await db
    .updateTable('contact_errors')
    .set({ resolved_at: at })
    .where('connection_id', '=', connectionId)
    .where('resolved_at', 'is', null)
    .where('subject', 'in', subjects)
    .execute();
}

export async function recordError(
  trx: Transaction<DB>,
  connectionId: number,
  who: { personId: number | null | undefined; contactId: string | null | undefined },
  code: string,
  detail: Record<string, string>,
): Promise<void> {
  const subject = who.personId ? `person:${who.personId}` : `contact:${who.contactId}`;
  await trx
    .insertInto('contact_errors')
    .values({
      connection_id: connectionId,
      subject,
      person_id: who.personId ?? null,
      contact_id: who.contactId ?? null,
      code,
      detail: JSON.stringify(detail),
    })
    .onConflict((oc) =>
      oc
        .columns(['connection_id', 'subject', 'code'])
        .where('resolved_at', 'is', null)
        .doUpdateSet({
          occurrences: sql`contact_errors.occurrences + 1`,
          last_seen_at: sql`now()`,
          detail: sql`excluded.detail`,
        }),
    )
    .execute();
}
