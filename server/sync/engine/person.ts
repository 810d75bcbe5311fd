/**
 * Pipedrive → Constant Contact in seconds (DESIGN §3 "Continuous sync"): the worker of
 * `pipedrive.person-changed`. The job carries only the ids (pg-boss keeps the first payload of
 * a coalesced burst), so it re-reads the person, its link and the linked contact, plans the
 * pair with the same core as the initial sync, and writes only what changed: one POST or PUT to
 * Constant Contact, one call to Pipedrive. An echo of our own write plans nothing.
 *
 * Filter membership fires no webhook, so a company syncing chosen filters counts a person in
 * the rule when the last full run or scan linked it; persons entering or leaving a filter are
 * found by the scheduled scan (scan.ts) or "Sync now".
 */
import type { Selectable } from 'kysely';
import { toAppError } from '../../api/app-error.ts';
import { decideRetry, isApiError } from '../../api/errors.ts';
import type { AppApis, CompanyClients } from '../../app.ts';
import { conflictingContactId } from '../../constant-contact/client.ts';
import type { Database } from '../../db/database.ts';
import type { DB } from '../../db/schema.ts';
import { isAppError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import type { LinkSnapshot, Plan, SyncAction } from '../core/actions.ts';
import type { CompiledField } from '../core/fields.ts';
import type { ContactSnapshot, PersonSnapshot } from '../core/map.ts';
import { personEmail } from '../core/normalise.ts';
import { plan } from '../core/plan.ts';
import { compileMapping, connectionSettings } from '../settings.ts';
import { ccStatusOf, showCcStatus } from './cc-status.ts';
import {
  type BatchItem,
  importable,
  itemKey,
  putContact,
  recordBatch,
  recordError,
  resolveErrors,
  type WriteFailure,
  writeBatch,
  writeFailure,
} from './execute.ts';
import { loadFields } from './fields.ts';
import { planSettings } from './initial.ts';
import { CONTACT_INCLUDE, contactSnapshot, personSnapshot } from './stage.ts';

/** Field lists change rarely; re-reading them on every change would triple the calls. */
const FIELDS_TTL_MS = 5 * 60_000;
const fieldsCache = new Map<
  number,
  { at: number; fields: CompiledField[]; names: Map<string, string> }
>();

export interface PersonSyncDeps {
  db: Database;
  apis: AppApis;
  logger: Logger;
  now?: () => number;
  /** Waits between checks of a bulk import (tests pass a no-op). */
  sleep?: (ms: number) => Promise<void>;
}

/** What every continuous job of one company needs: its active connection and clients. */
export interface SyncContext {
  connectionId: number;
  settings: ReturnType<typeof connectionSettings.parse>;
  clients: CompanyClients;
  fields: CompiledField[];
  names: Map<string, string>;
  now: () => number;
}

/** Null when the company has no active connection (setup, paused, needs re-auth). */
export async function loadContext(
  deps: PersonSyncDeps,
  companyId: number,
): Promise<SyncContext | null> {
  const now = deps.now ?? Date.now;
  const connection = await deps.db
    .selectFrom('connections')
    .select(['id', 'status', 'settings'])
    .where('company_id', '=', companyId)
    .executeTakeFirst();
  // Not active: the next activation, resume or "Sync now" reconciles what was missed.
  if (connection?.status !== 'active') return null;
  const settings = connectionSettings.parse(connection.settings);
  const clients = await deps.apis.forCompany(companyId, 'continuous');
  const { fields, names } = await compiledFields(connection.id, clients, settings, now());
  return { connectionId: connection.id, settings, clients, fields, names, now };
}

export async function syncPerson(
  deps: PersonSyncDeps,
  job: { companyId: number; personId: number },
): Promise<SyncAction['kind'][]> {
  return (await syncPersons(deps, [job]))[0] ?? [];
}

/**
 * A batch of person jobs (the worker fetches several when changes queue up). Each person is
 * read and planned in turn, and anything that links, creates or changes an email is written
 * at once, so the next person's plan sees it; plain updates of linked contacts wait for the
 * end of the batch and go to Constant Contact together (applyPairs), which keeps a burst of
 * Pipedrive edits within CC's 4 requests a second.
 */
export async function syncPersons(
  deps: PersonSyncDeps,
  jobs: readonly { companyId: number; personId: number }[],
): Promise<SyncAction['kind'][][]> {
  const results = new Map<number, SyncAction['kind'][]>();
  for (const [companyId, group] of groupBy([...jobs.entries()], ([, job]) => job.companyId)) {
    const ctx = await loadContext(deps, companyId);
    if (!ctx) continue;
    const deferred: BatchItem[] = [];
    for (const [index, job] of group) {
      const linkRow = await deps.db
        .selectFrom('links')
        .selectAll()
        .where('connection_id', '=', ctx.connectionId)
        .where('person_id', '=', job.personId)
        .executeTakeFirst();
      const person = await readPerson(ctx.clients, job.personId, ctx.fields);
      const email = person ? personEmail(person.emails) : undefined;
      let contact: ContactSnapshot | null = null;
      if (linkRow?.contact_id) contact = await readContact(ctx.clients, linkRow.contact_id);
      else if (email?.ok) contact = await contactByEmail(ctx.clients, email.email);
      const kinds = await syncPair(
        deps,
        ctx,
        { personId: job.personId, person, contact, linkRow },
        deferred,
      );
      results.set(index, kinds);
      // A deleted person has nothing left to fix: its errors (a duplicate, a collision) go.
      if (!person)
        await resolveErrors(
          deps.db,
          ctx.connectionId,
          [`person:${job.personId}`],
          new Date(ctx.now()),
        );
      if (!person && linkRow?.person_id && kinds.includes('mark_link'))
        await promoteDuplicate(deps, ctx, linkRow.email, job.personId, deferred);
    }
    await flushDeferred(deps, ctx, deferred);
  }
  return jobs.map((_, index) => results.get(index) ?? []);
}

type LinkRow = Selectable<DB['links']>;

/**
 * A person job given up (its last retry failed, or retrying cannot help): the person shows the
 * error with its fix, so the change is not lost in silence. Resolved when the person next syncs.
 */
export async function recordJobGivenUp(
  deps: PersonSyncDeps,
  job: { companyId: number; personId: number },
  error: unknown,
): Promise<void> {
  const connection = await deps.db
    .selectFrom('connections')
    .select('id')
    .where('company_id', '=', job.companyId)
    .executeTakeFirst();
  if (!connection) return;
  const code = isAppError(error) ? error.code : (toAppError(error)?.code ?? 'INTERNAL');
  const detail = error instanceof Error ? error.message : String(error);
  await deps.db.transaction().execute((trx) =>
    recordError(trx, connection.id, { personId: job.personId, contactId: null }, code, {
      detail: `The sync of this person gave up: ${detail}`,
    }),
  );
}

/**
 * A linked person was deleted, or moved to another address: another person with the same
 * primary email, reported until now as its duplicate (DESIGN §3: the oldest owns an email),
 * becomes the owner and takes the contact over (or, after a move, gets one of its own) at
 * once, rather than at the next scan.
 */
export async function promoteDuplicate(
  deps: PersonSyncDeps,
  ctx: SyncContext,
  email: string,
  formerId: number | null,
  deferred: BatchItem[] | undefined,
  /** A scan that read the filters says whether the person is in one (see syncPair). */
  inRuleOf?: (personId: number) => Promise<boolean | undefined>,
): Promise<SyncAction['kind'][]> {
  const candidates: PersonSnapshot[] = [];
  for (const { id } of await ctx.clients.pipedrive.persons.searchByEmail(email)) {
    if (id === formerId) continue;
    const candidate = await readPerson(ctx.clients, id, ctx.fields);
    const primary = candidate ? personEmail(candidate.emails) : undefined;
    if (candidate && primary?.ok && primary.email === email) candidates.push(candidate);
  }
  const [owner] = candidates.sort(
    (a, b) => (a.add_time ?? '').localeCompare(b.add_time ?? '') || a.id - b.id,
  );
  if (!owner) return [];
  const linkRow = await deps.db
    .selectFrom('links')
    .selectAll()
    .where('connection_id', '=', ctx.connectionId)
    .where('person_id', '=', owner.id)
    .executeTakeFirst();
  if (linkRow) return [];
  const contact = await contactByEmail(ctx.clients, email);
  const inPipedriveRule = await inRuleOf?.(owner.id);
  return syncPair(
    deps,
    ctx,
    {
      personId: owner.id,
      person: owner,
      contact,
      linkRow,
      ...(inPipedriveRule !== undefined ? { inPipedriveRule } : {}),
    },
    deferred,
  );
}

/**
 * Groups contacts by a list each is already on, as few groups as it can: the list most of the
 * remaining contacts share first (greedy cover), so a burst usually needs one import.
 */
function byCommonList(items: BatchItem[]): Map<string, BatchItem[]> {
  const groups = new Map<string, BatchItem[]>();
  let rest = items;
  while (rest.length > 0) {
    const counts = new Map<string, number>();
    for (const item of rest)
      for (const list of item.contact?.list_memberships ?? [])
        counts.set(list, (counts.get(list) ?? 0) + 1);
    const [best] = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0] ?? [];
    if (best === undefined) break;
    groups.set(
      best,
      rest.filter((item) => item.contact?.list_memberships?.includes(best)),
    );
    rest = rest.filter((item) => !item.contact?.list_memberships?.includes(best));
  }
  return groups;
}

/** Map.groupBy, which Node 20 lacks. */
function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/**
 * Plans one person/contact pair with the core and writes what the plan says: the shared end
 * of the person job and the Constant Contact poll.
 */
export async function syncPair(
  deps: PersonSyncDeps,
  ctx: SyncContext,
  pair: {
    personId: number | null;
    person: PersonSnapshot | null;
    contact: ContactSnapshot | null;
    linkRow: LinkRow | undefined;
    /** Filter membership as a scan just read it, for a person the link cannot tell about. */
    inPipedriveRule?: boolean;
  },
  deferred?: BatchItem[],
): Promise<SyncAction['kind'][]> {
  const { settings, clients } = ctx;
  const { person, contact, linkRow } = pair;
  const email = person ? personEmail(person.emails) : undefined;
  // A new email that another linked contact already has must not be written over it. The
  // person's email is written when it moved away from the link's, and by a revive when the
  // deleted contact has another one (its email changed in CC before it was deleted).
  let emailTaken = false;
  const contactEmail = contact?.email_address?.address?.toLowerCase();
  if (
    linkRow &&
    email?.ok &&
    (email.email !== linkRow.email || (contact?.deleted_at && email.email !== contactEmail))
  ) {
    const holder = await contactByEmail(clients, email.email);
    emailTaken = holder !== null && holder.contact_id !== linkRow.contact_id;
  } else if (
    linkRow?.person_id &&
    contactEmail &&
    !contact?.deleted_at &&
    contactEmail !== linkRow.email
  ) {
    // The contact's email changed in CC, the person's did not: written to the person, it must
    // not be the address of another linked person (DESIGN §3: the same collision rule).
    emailTaken =
      (await otherLinkedPerson(deps, ctx, linkRow.person_id, { email: contactEmail })) !==
      undefined;
  }
  // An unlinked person whose email another person already owns is a duplicate (DESIGN §3).
  // The contact with this email may be linked to another person already (its email changed
  // in CC before the poll told that person): that person keeps it.
  const owner =
    !linkRow && email?.ok && pair.personId
      ? await otherLinkedPerson(deps, ctx, pair.personId, {
          email: email.email,
          ...(contact ? { contactId: contact.contact_id } : {}),
        })
      : undefined;
  const link: LinkSnapshot | null = linkRow?.person_id
    ? {
        personId: linkRow.person_id,
        contactId: linkRow.contact_id as string,
        state: linkRow.state as LinkSnapshot['state'],
        base: { email: linkRow.email, values: linkRow.base as Record<string, string | null> },
      }
    : null;
  const lists = settings.ccSource.kind === 'lists' ? new Set(settings.ccSource.listIds) : undefined;
  // Filter membership is known from the last scan only (it fires no webhook): a person is in
  // the rule while the scan found it in a filter. A new person waits for the scan.
  const inPipedriveRule =
    settings.pipedriveSource.kind === 'all' ||
    (pair.inPipedriveRule ??
      (link !== null && link.state !== 'out_of_rule' && linkRow?.person_in_rule === true));
  const planned = plan({
    person,
    contact,
    link,
    settings: planSettings(settings),
    fields: ctx.fields,
    inPipedriveRule,
    inCcRule: lists ? (contact?.list_memberships ?? []).some((id) => lists.has(id)) : true,
    emailTaken,
    ...(owner !== undefined ? { duplicateOf: owner } : {}),
    now: new Date(ctx.now()).toISOString(),
  });

  const item: BatchItem = {
    plan: planned,
    personId: pair.personId,
    contactId: contact?.contact_id ?? null,
    email: email?.ok ? email.email : (contactEmail ?? null),
    contact,
    person,
    personInRule: inPipedriveRule,
  };
  if (deferred && batchable(item)) deferred.push(item);
  else await applyPairs(deps, ctx, [item], false);
  if (linkRow?.person_id && planned.base && planned.base.email !== linkRow.email)
    await handOverOldEmail(deps, ctx, linkRow.person_id, linkRow.email, deferred);
  return planned.actions.map((a) => a.kind);
}

/**
 * Another person (not deleted) whose link has this email, or this contact: the address is
 * theirs in the sync. Undefined when none is.
 */
async function otherLinkedPerson(
  deps: PersonSyncDeps,
  ctx: SyncContext,
  personId: number,
  by: { email: string; contactId?: string },
): Promise<number | undefined> {
  const other = await deps.db
    .selectFrom('links')
    .select('person_id')
    .where('connection_id', '=', ctx.connectionId)
    .where((eb) =>
      eb.or([
        eb('email', '=', by.email),
        ...(by.contactId ? [eb('contact_id', '=', by.contactId)] : []),
      ]),
    )
    .where('person_id', '!=', personId)
    .where('state', '!=', 'person_deleted')
    .executeTakeFirst();
  return other?.person_id ?? undefined;
}

/**
 * A linked pair moved to another address (either side's change): the old one is free in CC
 * now, so a person reported until now as the pair's duplicate for it is synced at once, as
 * after a delete (promoteDuplicate), rather than at the next scan. Only once the link records
 * the move, i.e. the write went through.
 */
async function handOverOldEmail(
  deps: PersonSyncDeps,
  ctx: SyncContext,
  personId: number,
  oldEmail: string,
  deferred: BatchItem[] | undefined,
): Promise<void> {
  const link = await deps.db
    .selectFrom('links')
    .select('email')
    .where('connection_id', '=', ctx.connectionId)
    .where('person_id', '=', personId)
    .executeTakeFirst();
  if (link && link.email !== oldEmail)
    await promoteDuplicate(deps, ctx, oldEmail, personId, deferred);
}

/**
 * A pair whose only Constant Contact write is an update the import can make (same email,
 * nothing emptied, execute.ts `importable`) of a contact on at least one list: it can wait for
 * the end of the batch and go out with the others in one import.
 */
function batchable(item: BatchItem): boolean {
  const writes = item.plan.actions.filter(
    (a) =>
      a.kind === 'create_contact' || a.kind === 'update_contact' || a.kind === 'revive_contact',
  );
  const [write] = writes;
  return (
    writes.length === 1 &&
    write?.kind === 'update_contact' &&
    (item.contact?.list_memberships?.length ?? 0) > 0 &&
    !item.contact?.deleted_at &&
    importable(item, write)
  );
}

/** Below this many waiting updates, a PUT each costs no more than an import and its checks. */
const IMPORT_MIN = 3;

/**
 * Writes planned pairs and records them in one transaction. `bulk`: the Constant Contact
 * updates go out as JSON imports, one per list the contacts are already on (the import needs
 * list ids and adds its contacts to them, so a contact's own list leaves its memberships as they
 * were); otherwise each contact gets its own POST or PUT. A contact CC refuses (400, 409) gets
 * its error; a transient failure goes up and the job is retried.
 */
async function applyPairs(
  deps: PersonSyncDeps,
  ctx: SyncContext,
  items: BatchItem[],
  bulk: boolean,
): Promise<void> {
  const execute = {
    db: deps.db,
    clients: ctx.clients,
    connectionId: ctx.connectionId,
    targetListIds: [] as string[],
    customFieldNames: ctx.names,
    now: ctx.now,
    sleep: deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))),
  };
  const contactIds = new Map<string, string>();
  const failed = new Map<string, WriteFailure>();
  if (bulk) {
    for (const [list, group] of byCommonList(items)) {
      const written = await writeBatch({ ...execute, targetListIds: [list] }, group.map(ccOnly));
      for (const [key, message] of written.failed) failed.set(key, message);
    }
  } else {
    for (const item of items) {
      try {
        const created = await writeContact(
          ctx.clients,
          item.plan,
          item.contact ?? null,
          ctx.settings.targetListIds,
        );
        for (const [email, id] of created) contactIds.set(email, id);
      } catch (error) {
        if (!isApiError(error) || decideRetry(error, 1, ctx.now()).action !== 'stop') throw error;
        failed.set(itemKey(item), writeFailure(error, item));
      }
    }
  }
  const pipedrive = await writeBatch(execute, items.map(pipedriveOnly));
  for (const [key, message] of failed) pipedrive.failed.set(key, message);
  await deps.db
    .transaction()
    .execute((trx) =>
      recordBatch(
        trx,
        ctx.connectionId,
        items,
        { ...pipedrive, contactIds: new Map([...pipedrive.contactIds, ...contactIds]) },
        new Date(ctx.now()),
      ),
    );
  for (const item of items) {
    if (!item.contact) continue;
    const revived = item.plan.actions.some((a) => a.kind === 'revive_contact');
    await showStatusOfLink(deps, ctx, item.contact, revived, item.person);
  }
}

const onlyActions = (item: BatchItem, keep: (a: SyncAction) => boolean): BatchItem => ({
  ...item,
  plan: { ...item.plan, actions: item.plan.actions.filter(keep) },
});
const pipedriveOnly = (item: BatchItem) =>
  onlyActions(item, (a) => a.kind === 'create_person' || a.kind === 'update_person');
const ccOnly = (item: BatchItem) => onlyActions(item, (a) => a.kind === 'update_contact');

/** Writes the pairs a batch of person jobs left waiting (syncPersons). */
export async function flushDeferred(
  deps: PersonSyncDeps,
  ctx: SyncContext,
  deferred: BatchItem[],
): Promise<void> {
  if (deferred.length === 0) return;
  await applyPairs(deps, ctx, deferred, deferred.length >= IMPORT_MIN);
}

/** After a sync of the pair: the linked person shows the contact's CC status (cc-status.ts). */
export async function showStatusOfLink(
  deps: PersonSyncDeps,
  ctx: SyncContext,
  contact: ContactSnapshot,
  revived: boolean,
  person?: PersonSnapshot | null,
): Promise<void> {
  const link = await deps.db
    .selectFrom('links')
    .select(['person_id', 'cc_status', 'state'])
    .where('connection_id', '=', ctx.connectionId)
    .where('contact_id', '=', contact.contact_id)
    .executeTakeFirst();
  if (!link?.person_id || (link.state !== 'active' && link.state !== 'contact_deleted')) return;
  await showCcStatus(
    { db: deps.db, clients: ctx.clients, connectionId: ctx.connectionId, logger: deps.logger },
    { personId: link.person_id, written: link.cc_status },
    ccStatusOf(contact, revived),
    undefined,
    person?.id === link.person_id ? person.custom_fields : undefined,
  );
}

async function compiledFields(
  connectionId: number,
  clients: CompanyClients,
  settings: ReturnType<typeof connectionSettings.parse>,
  now: number,
) {
  const cached = fieldsCache.get(connectionId);
  if (cached && now - cached.at < FIELDS_TTL_MS) return cached;
  const loaded = await loadFields(clients);
  const entry = {
    at: now,
    fields: compileMapping(settings.mapping, loaded.available, settings.direction),
    names: loaded.ccCustomFieldNames,
  };
  fieldsCache.set(connectionId, entry);
  return entry;
}

export async function readPerson(
  clients: CompanyClients,
  id: number,
  fields: readonly CompiledField[],
): Promise<PersonSnapshot | null> {
  try {
    const person = await clients.pipedrive.persons.get({ id });
    if (person.is_deleted) return null;
    const needsOrganization = fields.some((f) => f.pipedrive.entity === 'organization');
    const organizations = new Map<
      number,
      { name: string; custom_fields?: Record<string, unknown> | null }
    >();
    if (needsOrganization && person.org_id) {
      const org = await clients.pipedrive.organizations.get(person.org_id);
      organizations.set(org.id, { name: org.name, custom_fields: org.custom_fields ?? null });
    }
    return personSnapshot(person, organizations);
  } catch (error) {
    // Deleted (or merged away): the planner marks the link; the contact stays (DESIGN §3).
    if (isApiError(error) && (error.status === 404 || error.status === 410)) return null;
    throw error;
  }
}

async function readContact(clients: CompanyClients, id: string): Promise<ContactSnapshot | null> {
  try {
    return contactSnapshot(await clients.cc.contacts.get(id, { include: CONTACT_INCLUDE }));
  } catch (error) {
    if (isApiError(error) && error.status === 404) return null;
    throw error;
  }
}

export async function contactByEmail(
  clients: CompanyClients,
  email: string,
): Promise<ContactSnapshot | null> {
  const page = await clients.cc.contacts.list({
    email,
    status: ['all'],
    include: CONTACT_INCLUDE,
    limit: 1,
  });
  const found = page.items[0];
  return found ? contactSnapshot(found) : null;
}

/**
 * One contact, one call: POST for a new contact (a 409 names the existing one, which is then
 * updated instead), PUT for an update or a revive. PUT blanks what it is not sent (CC §4.5), so
 * the body is the whole current contact with the planned fields laid over it; the permission
 * is never sent, so an opted-out contact stays opted out.
 */
async function writeContact(
  clients: CompanyClients,
  planned: Plan,
  current: ContactSnapshot | null,
  targetListIds: string[],
): Promise<Map<string, string>> {
  const created = new Map<string, string>();
  for (const action of planned.actions) {
    if (action.kind === 'create_contact') {
      try {
        const contact = await clients.cc.contacts.create({
          ...(action.body as object),
          email_address: { address: action.email, permission_to_send: 'implicit' },
          list_memberships: action.listIds.length ? action.listIds : targetListIds,
          create_source: 'Account',
        } as Parameters<typeof clients.cc.contacts.create>[0]);
        created.set(action.email, contact.contact_id);
      } catch (error) {
        const existing = conflictingContactId(error);
        if (!existing) throw error;
        const contact = await clients.cc.contacts.get(existing, { include: CONTACT_INCLUDE });
        await putContact(clients, contactSnapshot(contact), action.body);
        created.set(action.email, existing);
      }
    } else if ((action.kind === 'update_contact' || action.kind === 'revive_contact') && current) {
      const body =
        action.kind === 'revive_contact'
          ? { ...action.body, list_memberships: action.listIds }
          : action.body;
      await putContact(clients, current, body);
    }
  }
  return created;
}
