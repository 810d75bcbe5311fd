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
}

interface StageContext {
  db: Database;
  clients: CompanyClients;
  runId: number;
  settings: ConnectionSettings;
  fields: readonly CompiledField[];
  checkpoint: StageCheckpoint;
  saveCheckpoint: (checkpoint: StageCheckpoint, trx: Database) => Promise<void>;
  onPage: (kind: 'persons' | 'contacts', count: number) => Promise<void>;
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

export async function stagePersons(ctx: StageContext): Promise<void> {
  const passes = personPasses(ctx.settings);
  const needsOrganizations = ctx.fields.some((f) => f.pipedrive.entity === 'organization');
  let pass = ctx.checkpoint.personPass ?? 0;
  let cursor = ctx.checkpoint.personCursor ?? undefined;
  while (pass < passes.length) {
    const { filterId, inRule } = passes[pass] as { filterId?: number; inRule: boolean };
    const page = await ctx.clients.pipedrive.persons.list({
      ...(filterId ? { filter_id: filterId } : {}),
      ...(cursor ? { cursor } : {}),
      sort_by: 'id',
      sort_direction: 'asc',
    });
    const organizations = needsOrganizations
      ? await loadOrganizations(ctx.clients, page.items)
      : new Map();
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
    cursor = page.nextCursor ?? undefined;
    const next: StageCheckpoint = cursor
      ? { ...ctx.checkpoint, personPass: pass, personCursor: cursor }
      : { ...ctx.checkpoint, personPass: pass + 1, personCursor: null };
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
      await ctx.saveCheckpoint(next, trx);
    });
    ctx.checkpoint = next;
    await ctx.onPage('persons', rows.length);
    if (!cursor) pass += 1;
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
    ctx.checkpoint = { ...ctx.checkpoint, personsDone: true };
    await ctx.saveCheckpoint(ctx.checkpoint, trx);
  });
}

export async function stageContacts(ctx: StageContext): Promise<void> {
  const lists =
    ctx.settings.ccSource.kind === 'lists' ? new Set(ctx.settings.ccSource.listIds) : undefined;
  let next = ctx.checkpoint.contactNext ?? undefined;
  do {
    const page = await ctx.clients.cc.contacts.list(
      {
        // `all` includes deleted and unsubscribed contacts: both must be linked, never recreated.
        status: ['all'],
        include: CONTACT_INCLUDE,
        limit: 500,
      },
      next,
    );
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
    next = page.next;
    const checkpoint: StageCheckpoint = next
      ? { ...ctx.checkpoint, contactNext: next }
      : { ...ctx.checkpoint, contactNext: null, contactsDone: true };
    await ctx.db.transaction().execute(async (trx) => {
      if (rows.length > 0) {
        await trx
          .insertInto('sync_stage_contacts')
          .values(rows)
          .onConflict((oc) => oc.columns(['run_id', 'contact_id']).doNothing())
          .execute();
      }
      await ctx.saveCheckpoint(checkpoint, trx);
    });
    ctx.checkpoint = checkpoint;
    await ctx.onPage('contacts', rows.length);
  } while (next);
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
