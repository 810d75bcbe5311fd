/**
 * The invariants of issue 7, checked after quiesce against what the fakes hold and what the
 * database says (links, contact_errors). Each returns readable violations naming records by
 * their trace aliases; an empty list means the seed passed.
 */

import { rowId } from '../../server/sync/core/fields.ts';
import { personEmail } from '../../server/sync/core/normalise.ts';
import { CC_STATUS_FIELD_NAME } from '../../server/sync/engine/cc-status.ts';
import { sameNameRow } from '../helpers/sync-world.ts';
import { account, company, MAPPED, pipedriveRule, type Tenant } from './tenant.ts';
import type { SimWorld } from './world.ts';

const norm = (v: unknown): string | null => {
  if (v === null || v === undefined) return null;
  const s = String(v).trim();
  return s === '' ? null : s;
};

export async function checkInvariants(
  world: SimWorld,
  t: Tenant,
  failedJobs: ReadonlyMap<number, string>,
): Promise<string[]> {
  const out: string[] = [];
  const { db } = world;
  const a = (id: number | string | null | undefined) => (id == null ? '∅' : t.alias(id));
  const links = await db
    .selectFrom('links')
    .selectAll()
    .where('connection_id', '=', t.connectionId)
    .execute();
  const errors = await db
    .selectFrom('contact_errors')
    .select(['person_id', 'contact_id', 'code'])
    .where('connection_id', '=', t.connectionId)
    .where('resolved_at', 'is', null)
    .execute();
  const erroredPersons = new Set(errors.map((e) => e.person_id).filter((id) => id !== null));
  const erroredContacts = new Set(errors.map((e) => e.contact_id).filter((id) => id !== null));
  const persons = [...company(world, t).persons.values()];
  const personById = new Map(persons.map((p) => [p.id, p]));
  const live = persons.filter((p) => !p.is_deleted);
  const contacts = account(world, t).order;
  const contactById = new Map(contacts.map((c) => [c.contact_id, c]));
  const linkByPerson = new Map(links.map((l) => [l.person_id, l]));
  const linkByContact = new Map(links.map((l) => [l.contact_id, l]));

  const lists = t.settings.ccSource.kind === 'lists' ? new Set(t.settings.ccSource.listIds) : null;
  const inLists = (memberships: string[] | undefined) =>
    (memberships ?? []).some((l) => lists?.has(l));

  // Linked exactly once: no person and no contact in two links.
  if (linkByPerson.size !== links.length) out.push('a person is in two links');
  if (linkByContact.size !== links.length) out.push('a contact is in two links');

  // Filter seeds: who is in the filter now, as the fake evaluates it (the scheduled scan of
  // quiesce has read the same membership).
  const inPipedriveRule = pipedriveRule(world, t);

  // Every in-rule person with a valid email is linked to a contact with that email (and in
  // step with it), or is a reported duplicate of the person who holds that contact, or shows
  // an error.
  for (const person of live) {
    const email = personEmail(person.emails);
    if (!email.ok || erroredPersons.has(person.id)) continue;
    const link = linkByPerson.get(person.id);
    const contact = link?.contact_id ? contactById.get(link.contact_id) : undefined;
    if (!inPipedriveRule(person)) {
      out.push(...outOfFilter(person.id, link, contact));
      continue;
    }
    // DESIGN §3: a contact deleted in CC leaves its person as it is, until the person changes
    // (then it is revived); the link says so, and so does the person's status field.
    if (link?.state === 'contact_deleted' && contact?.deletedAt !== undefined) continue;
    if (link?.state !== 'active' || !contact) {
      const holder = account(world, t).findByEmail(email.email);
      const holderLink = holder ? linkByContact.get(holder.contact_id) : undefined;
      const otherOwner =
        holderLink?.person_id && holderLink.person_id !== person.id
          ? personById.get(holderLink.person_id)
          : undefined;
      if (otherOwner && !otherOwner.is_deleted) continue;
      out.push(
        `${a(person.id)} (${email.email}) is not synced: link ${link ? `${link.state} to ${a(link.contact_id)}` : 'none'}, no open error`,
      );
      continue;
    }
    if (contact.deletedAt !== undefined) continue;
    // A contact outside the CC rule only receives, and only what changes in Pipedrive: its own
    // edits stay, and so does a filled field the initial sync found empty in Pipedrive. Its own
    // email change too (DESIGN §3: CC → Pipedrive is the CC rule's members only): then the
    // person keeps the address the pair last agreed on.
    const outOfCcRule = lists !== null && !inLists(contact.list_memberships);
    const contactEmail = contact.email?.address.toLowerCase();
    if (contactEmail !== email.email && !(outOfCcRule && link.email === email.email))
      out.push(
        `${a(person.id)} has ${email.email} but its contact ${a(contact.contact_id)} has ${contactEmail}`,
      );
    if (erroredContacts.has(contact.contact_id)) continue;
    if (outOfCcRule) continue;
    for (const field of MAPPED) {
      const pv = norm(person[field]);
      const cv = norm(contact[field]);
      if (pv !== cv)
        out.push(
          `${field} differs: ${a(person.id)} ${JSON.stringify(pv)} vs ${a(contact.contact_id)} ${JSON.stringify(cv)}`,
        );
    }
  }

  /**
   * A person outside the synced filter (DESIGN §3: it stops syncing, nothing is deleted, it
   * resumes when it matches again). Its Pipedrive edits need not reach CC. But in two-way the
   * pair still syncs CC → Pipedrive while its contact is in the CC rule (the scan stages
   * non-members so that CC contacts link to the persons they already have): then every CC
   * change has reached Pipedrive, i.e. the contact still holds the values the pair last agreed
   * on (the link's base and email), whatever the person holds. With the contact outside the
   * CC rule too, nothing syncs: the scan has marked the link out of rule.
   */
  function outOfFilter(
    personId: number,
    link: (typeof links)[number] | undefined,
    contact: (typeof contacts)[number] | undefined,
  ): string[] {
    if (!link || !contact || contact.deletedAt !== undefined) return [];
    if (link.state === 'person_deleted' || link.state === 'contact_deleted') return [];
    if (erroredContacts.has(contact.contact_id)) return [];
    const ccSynced =
      t.settings.direction !== 'to_cc' && (!lists || inLists(contact.list_memberships));
    if (!ccSynced)
      return link.state === 'active'
        ? [
            `${a(personId)} and ${a(contact.contact_id)} are both out of their rules but the link is still active`,
          ]
        : [];
    if (link.state !== 'active')
      return [
        `${a(contact.contact_id)} is in the CC rule but its link to ${a(personId)} is ${link.state}`,
      ];
    const found: string[] = [];
    const contactEmail = contact.email?.address.toLowerCase();
    if (contactEmail !== link.email)
      found.push(
        `${a(contact.contact_id)} has ${contactEmail} but its link to ${a(personId)} (out of the filter) agreed on ${link.email}`,
      );
    const base = link.base as Record<string, unknown>;
    for (const field of MAPPED) {
      const bv = norm(base[rowId(sameNameRow(field))]);
      const cv = norm(contact[field]);
      if (bv !== cv)
        found.push(
          `${field} of ${a(contact.contact_id)} ${JSON.stringify(cv)} never reached ${a(personId)} (out of the filter): the link agreed on ${JSON.stringify(bv)}`,
        );
    }
    return found;
  }

  // Every in-rule live contact has its person (or its person was deleted, which ends the sync
  // of the pair), or shows an error.
  for (const contact of contacts) {
    if (contact.deletedAt !== undefined || erroredContacts.has(contact.contact_id)) continue;
    if (lists && !inLists(contact.list_memberships)) continue;
    const link = linkByContact.get(contact.contact_id);
    if (link?.state === 'person_deleted' || link?.state === 'out_of_rule') continue;
    if (link?.person_id && erroredPersons.has(link.person_id)) continue;
    const person = link?.person_id ? personById.get(link.person_id) : undefined;
    if (!link || !person || person.is_deleted)
      out.push(
        `${a(contact.contact_id)} (${contact.email?.address}) is not synced: link ${link ? `${link.state} to ${a(link.person_id)}` : 'none'}, no open error`,
      );
  }

  // No duplicate created on either side: everything the app created is held by a link, and
  // no two persons the app created share an email.
  const createdEmails = new Map<string, number>();
  for (const person of persons) {
    if (t.userPersons.has(person.id)) continue;
    // A deleted person's link may pass to the person who now owns its contact's email.
    if (!linkByPerson.has(person.id) && !person.is_deleted)
      out.push(`${a(person.id)} was created by the app but is in no link`);
    const email = personEmail(person.emails);
    // A user who gives one person another's address makes that pair, not the app.
    if (!person.is_deleted && email.ok && !t.emailsEdited.has(person.id)) {
      const twin = createdEmails.get(email.email);
      if (twin !== undefined)
        out.push(`the app created ${a(twin)} and ${a(person.id)} for ${email.email}`);
      createdEmails.set(email.email, person.id);
    }
  }
  for (const contact of contacts)
    if (!t.userContacts.has(contact.contact_id) && !linkByContact.has(contact.contact_id))
      out.push(`${a(contact.contact_id)} was created by the app but is in no link`);

  // A merge: when the survivor now carries the email of the contact the merged-away person
  // was linked to, the survivor holds that link (DESIGN §3 "Deletes, merges": the survivor
  // keeps or takes over the link), unless it has a link of its own, which it keeps (the
  // merged-away person's contact may take the survivor's address later, in CC or in Pipedrive:
  // seeds 2884 and 3098).
  for (const { gone, survivor } of t.merges) {
    const goneLink = linkByPerson.get(gone);
    const kept = personById.get(survivor);
    const contact = goneLink?.contact_id ? contactById.get(goneLink.contact_id) : undefined;
    if (!kept || kept.is_deleted || !contact || contact.deletedAt !== undefined) continue;
    const ownLink = linkByPerson.get(survivor);
    if (ownLink && ownLink.contact_id !== contact.contact_id) continue;
    const email = personEmail(kept.emails);
    if (
      email.ok &&
      email.email === contact.email?.address.toLowerCase() &&
      !erroredPersons.has(survivor)
    )
      out.push(
        `${a(survivor)} survived a merge with ${a(gone)} and carries ${email.email}, but ${a(contact.contact_id)} stays linked to ${a(gone)}`,
      );
  }

  // No opted-out contact resubscribed; nothing even tried.
  for (const id of t.optedOut) {
    const permission = contactById.get(id)?.email?.permission;
    if (permission !== 'unsubscribed') out.push(`${a(id)} opted out but is now ${permission}`);
  }
  // ...and shown in Pipedrive on the linked person (the app-managed status field).
  const statusField = company(world, t).personFields.find((f) => f.name === CC_STATUS_FIELD_NAME);
  for (const id of t.optedOut) {
    const link = linkByContact.get(id);
    const person = link?.person_id ? personById.get(link.person_id) : undefined;
    const contact = contactById.get(id);
    if (link?.state !== 'active' || !person || person.is_deleted || contact?.deletedAt) continue;
    const raw = statusField ? person.custom_fields[statusField.key] : undefined;
    const shown = statusField?.options?.find((o) => o.id === raw)?.label ?? raw;
    if (shown !== 'Unsubscribed')
      out.push(`${a(id)} opted out but ${a(person.id)} shows ${JSON.stringify(shown ?? null)}`);
  }
  for (const attempt of world.sync.cc.store.permissionAttempts)
    if (attempt.accountId === t.accountId)
      out.push(`a write tried to resubscribe ${a(attempt.contactId)} (${attempt.requested})`);

  // Every person whose job failed for good showed an error: still open, or resolved because a
  // later sync of the person went through (the other checks then hold it to being in sync).
  const everErrored = new Set(
    (
      await db
        .selectFrom('contact_errors')
        .select('person_id')
        .where('connection_id', '=', t.connectionId)
        .where('person_id', 'is not', null)
        .execute()
    ).map((e) => e.person_id),
  );
  for (const [personId, message] of failedJobs)
    if (
      !everErrored.has(personId) &&
      personById.get(personId) &&
      !personById.get(personId)?.is_deleted
    )
      out.push(`${a(personId)}'s job failed for good (${message}) and no error shows it`);

  // A deleted person has nothing left to fix: its person job or, when its webhook was lost, the
  // scan that ends quiesce resolves its errors (docs/errors.md). Every seed syncs two-way, so
  // that scan reads every person, filter or not. A person the fake no longer holds at all
  // counts as deleted.
  for (const e of errors)
    if (e.person_id !== null && (personById.get(e.person_id)?.is_deleted ?? true))
      out.push(`${a(e.person_id)} is deleted and still shows ${e.code}`);

  // No write that changed nothing.
  for (const n of world.recorder.of({ companyId: t.companyId, accountId: t.accountId })) {
    const [, id] = n.target.split(':');
    const alias = n.target.startsWith('person:') ? a(Number(id)) : a(id);
    out.push(`${n.method} ${n.path} changed nothing on ${alias}`);
  }
  return out;
}
