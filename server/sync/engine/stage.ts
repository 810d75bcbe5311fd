/**
 * Streams both accounts into the staging tables, a page (500) at a time, each page stored
 * together with the cursor that follows it, so a crashed run resumes at the next page and
 * never holds more than one page in memory (issue 6: "stage in Postgres and match there").
 */
import { sql } from 'kysely';
import type { CompanyClients } from '../../app.ts';
import type { CcContact } from '../../constant-contact/schemas.ts';
import type { Database } from '../../db/database.ts';
import type { PipedrivePerson } from '../../pipedrive/schemas.ts';
import type { CompiledField } from '../core/fields.ts';
import type { ContactSnapshot, PersonSnapshot } from '../core/map.ts';
import { normaliseEmail, personEmail } from '../core/normalise.ts';
import type { ConnectionSettings } from '../settings.ts';

/** What a contact must carry for the core: its PUT body is rebuilt from these (core README). */
export const CONTACT_INCLUDE = [
  'custom_fields',
  'phone_numbers',
  'street_addresses',
  'list_memberships',
];

export interface StageCheckpoint {
  /** Index into the person passes (one per filter, plus a full pass when needed). */
  personPass?: number;
  personCursor?: string | null;
  contactNext?: string | null;
  personsDone?: boolean;
  contactsDone?: boolean;
  /** How many contacts CC said the account holds (the first page's count), for the ETA. */
  contactsTotal?: number;
}

interface StageContext {
  db: Database;
  clients: CompanyClients;
  runId: number;
  settings: ConnectionSettings;
  fields: readonly CompiledField[];
  /** Where a resumed run starts; read once. */
  checkpoint: StageCheckpoint;
  /** Stores the given keys only, merged into the run's checkpoint. */
  saveCheckpoint: (checkpoint: StageCheckpoint, trx: Database) => Promise<void>;
  /** After each stored page; `ids` are the page's contact ids (contacts only). */
  onPage: (kind: 'persons' | 'contacts', count: number, ids?: string[]) => Promise<void>;
}

/**
 * Person passes: the members of each chosen filter (in the rule), then, when contacts may
 * become persons, everyone else (out of the rule, staged so a CC contact links to an existing
 * person instead of creating a duplicate).
 */
function personPasses(settings: ConnectionSettings): { filterId?: number; inRule: boolean }[] {
  if (settings.pipedriveSource.kind === 'all') return [{ inRule: true }];
  const passes: { filterId?: number; inRule: boolean }[] = settings.pipedriveSource.filterIds.map(
    (filterId) => ({
      filterId,
      inRule: true,
    }),
  );
  if (settings.direction !== 'to_cc') passes.push({ inRule: false });
  return passes;
}

/** Whether a run stages every person, so one it did not stage no longer exists in Pipedrive. */
export function readsEveryPerson(settings: ConnectionSettings): boolean {
  return personPasses(settings).some((pass) => pass.filterId === undefined);
}

export async function stagePersons(ctx: StageContext): Promise<void> {
  const passes = personPasses(ctx.settings);
  const needsOrganizations = ctx.fields.some((f) => f.pipedrive.entity === 'organization');
  const fetchPage = async (at: { pass: number; cursor?: string }) => {
    const { filterId } = passes[at.pass] as { filterId?: number };
    const page = await ctx.clients.pipedrive.persons.list({
      ...(filterId ? { filter_id: filterId } : {}),
      ...(at.cursor ? { cursor: at.cursor } : {}),
      sort_by: 'id',
      sort_direction: 'asc',
    });
    const organizations = needsOrganizations
      ? await loadOrganizations(ctx.clients, page.items)
      : new Map();
    return { page, organizations };
  };
  let at: { pass: number; cursor?: string } = {
    pass: ctx.checkpoint.personPass ?? 0,
    ...(ctx.checkpoint.personCursor ? { cursor: ctx.checkpoint.personCursor } : {}),
  };
  let pending = at.pass < passes.length ? early(fetchPage(at)) : undefined;
  while (pending) {
    const { page, organizations } = await pending;
    const { inRule } = passes[at.pass] as { inRule: boolean };
    const following = page.nextCursor
      ? { pass: at.pass, cursor: page.nextCursor }
      : { pass: at.pass + 1 };
    // The next page is on its way while this one is stored: the API wait and the database
    // work overlap. Only a stored page moves the checkpoint.
    pending = following.pass < passes.length ? early(fetchPage(following)) : undefined;
    const rows = page.items.map((person) => {
      const snapshot = personSnapshot(person, organizations);
      const email = personEmail(snapshot.emails);
      return {
        run_id: ctx.runId,
        person_id: person.id,
        email: email.ok ? email.email : null,
        excluded_reason: email.ok ? null : email.reason,
        add_time: snapshot.add_time ?? null,
        in_rule: inRule,
        snapshot: JSON.stringify(snapshot),
      };
    });
    await ctx.db.transaction().execute(async (trx) => {
      if (rows.length > 0) {
        await trx
          .insertInto('sync_stage_persons')
          .values(rows)
          // A later pass never demotes a person a filter put in the rule.
          .onConflict((oc) =>
            oc.columns(['run_id', 'person_id']).doUpdateSet({
              in_rule: sql<boolean>`sync_stage_persons.in_rule OR excluded.in_rule`,
              snapshot: sql`excluded.snapshot`,
            }),
          )
          .execute();
      }
      await ctx.saveCheckpoint(
        { personPass: following.pass, personCursor: following.cursor ?? null },
        trx,
      );
    });
    await ctx.onPage('persons', rows.length);
    at = following;
  }
  await ctx.db.transaction().execute(async (trx) => {
    // DESIGN §3: among persons sharing an email the oldest (add_time, then id) is linked.
    await sql`
      UPDATE sync_stage_persons p SET duplicate_of = owner.person_id
      FROM (
        SELECT DISTINCT ON (email) email, person_id FROM sync_stage_persons
        WHERE run_id = ${ctx.runId} AND email IS NOT NULL
        ORDER BY email, add_time ASC NULLS LAST, person_id ASC
      ) owner
      WHERE p.run_id = ${ctx.runId} AND p.email = owner.email AND p.person_id <> owner.person_id`.execute(
      trx,
    );
    await ctx.saveCheckpoint({ personsDone: true }, trx);
  });
}

type ContactPage = Awaited<ReturnType<CompanyClients['cc']['contacts']['list']>>;

/**
 * Runs alongside stagePersons (the two APIs have separate limits); its checkpoint keys are its
 * own, so the two never overwrite each other's position.
 */
export async function stageContacts(ctx: StageContext): Promise<void> {
  const lists =
    ctx.settings.ccSource.kind === 'lists' ? new Set(ctx.settings.ccSource.listIds) : undefined;
  const fetchPage = (next: string | undefined): Promise<ContactPage> =>
    ctx.clients.cc.contacts.list(
      {
        // `all` includes deleted and unsubscribed contacts: both must be linked, never recreated.
        status: ['all'],
        include: CONTACT_INCLUDE,
        limit: 500,
        // The first page says how many there are, for the run's ETA.
        ...(next ? {} : { include_count: true }),
      },
      next,
    );
  let pending: Promise<ContactPage> | undefined = early(
    fetchPage(ctx.checkpoint.contactNext ?? undefined),
  );
  while (pending) {
    const page: ContactPage = await pending;
    const next = page.next;
    pending = next ? early(fetchPage(next)) : undefined;
    const rows = page.items.map((contact) => {
      const snapshot = contactSnapshot(contact);
      const email = normaliseEmail(snapshot.email_address?.address);
      const memberships = snapshot.list_memberships ?? [];
      return {
        run_id: ctx.runId,
        contact_id: contact.contact_id,
        email: email.ok ? email.email : null,
        in_rule: lists ? memberships.some((id) => lists.has(id)) : true,
        snapshot: JSON.stringify(snapshot),
      };
    });
    await ctx.db.transaction().execute(async (trx) => {
      if (rows.length > 0) {
        await trx
          .insertInto('sync_stage_contacts')
          .values(rows)
          .onConflict((oc) => oc.columns(['run_id', 'contact_id']).doNothing())
          .execute();
      }
      await ctx.saveCheckpoint(
        {
          ...(next ? { contactNext: next } : { contactNext: null, contactsDone: true }),
          ...(page.count !== undefined ? { contactsTotal: page.count } : {}),
        },
        trx,
      );
    });
    await ctx.onPage(
      'contacts',
      rows.length,
      rows.map((r) => r.contact_id),
    );
  }
}

/**
 * A request started ahead of its use: its failure is handled where it is awaited, not
 * reported as unhandled while the current page is still being stored.
 */
function early<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

async function loadOrganizations(clients: CompanyClients, persons: PipedrivePerson[]) {
  const ids = [
    ...new Set(persons.map((p) => p.org_id).filter((id): id is number => typeof id === 'number')),
  ];
  const organizations = new Map<
    number,
    { name: string; custom_fields?: Record<string, unknown> | null }
  >();
  // Reference 4.2: `ids` takes at most 100 ids.
  for (let i = 0; i < ids.length; i += 100) {
    const page = await clients.pipedrive.organizations.list({
      ids: ids.slice(i, i + 100).join(','),
    });
    for (const org of page.items)
      organizations.set(org.id, { name: org.name, custom_fields: org.custom_fields ?? null });
  }
  return organizations;
}

export function personSnapshot(
  person: PipedrivePerson,
  organizations: Map<number, { name: string; custom_fields?: Record<string, unknown> | null }>,
): PersonSnapshot {
  const extra = person as PipedrivePerson & {
    birthday?: string | null;
    postal_address?: PersonSnapshot['postal_address'];
    notes?: string | null;
  };
  return {
    id: person.id,
    add_time: person.add_time ?? null,
    update_time: person.update_time ?? null,
    is_deleted: person.is_deleted ?? false,
    owner_id: person.owner_id ?? null,
    name: person.name,
    first_name: person.first_name ?? null,
    last_name: person.last_name ?? null,
    emails: person.emails ?? [],
    phones: person.phones ?? [],
    job_title: person.job_title ?? null,
    birthday: extra.birthday ?? null,
    postal_address: extra.postal_address ?? null,
    notes: extra.notes ?? null,
    custom_fields: person.custom_fields ?? null,
    organization: person.org_id ? (organizations.get(person.org_id) ?? null) : null,
  };
}

export function contactSnapshot(contact: CcContact): ContactSnapshot {
  return contact as unknown as ContactSnapshot;
}
