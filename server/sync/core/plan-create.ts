/**
 * Creating and reviving: a person without a contact, a contact without a person, and a
 * deleted contact whose person is in the rule (DESIGN §3 "Initial sync", "Deletes").
 * A create carries only non-empty values, by the initial merge rules against an empty side.
 */
import type { LinkBase, Plan } from './actions.ts';
import {
  type ContactSnapshot,
  contactUnsubscribed,
  type PersonSnapshot,
  readContact,
  type SideRecord,
} from './map.ts';
import { contactWrite, type PersonWrite, personWrite } from './map-write.ts';
import { merge } from './merge.ts';
import { type Ctx, droppedIds, nextValues, readWarnings, sortIssues } from './plan-util.ts';

export function createContact(
  ctx: Ctx,
  person: PersonSnapshot,
  pd: SideRecord,
  email: string,
): Plan {
  const m = merge({
    fields: ctx.mergeFields,
    base: null,
    pipedrive: pd.values,
    cc: {},
    conflictWinner: ctx.settings.conflictWinner,
  });
  const write = contactWrite(m.toCc, ctx.fields, null, email);
  const out: Plan = {
    actions: [
      {
        kind: 'create_contact',
        personId: person.id,
        email,
        permission: 'implicit',
        listIds: ctx.settings.targetListIds,
        body: {
          ...write.body,
          email_address: { address: email, permission_to_send: 'implicit' },
          list_memberships: ctx.settings.targetListIds,
        },
      },
    ],
    base: { email, values: nextValues(ctx, null, m.agreed, new Set(droppedIds(m.toCc, write))) },
    conflicts: [],
    warnings: readWarnings(pd, m.toCc),
  };
  sortIssues(write.issues, out, { personId: person.id });
  return out;
}

export function createPerson(
  ctx: Ctx,
  contact: ContactSnapshot,
  cc: SideRecord,
  email: string,
): Plan {
  const m = merge({
    fields: ctx.mergeFields,
    base: null,
    pipedrive: {},
    cc: cc.values,
    conflictWinner: ctx.settings.conflictWinner,
  });
  const write = personWrite(m.toPipedrive, ctx.fields, null, email);
  const body: PersonWrite = { ...write.body };
  // A person needs a name (reference 4.5); with none in CC, the email stands in for it.
  if (!body.first_name && !body.last_name) body.name = email;
  if (ctx.settings.newPersonOwnerId !== undefined) body.owner_id = ctx.settings.newPersonOwnerId;
  const out: Plan = {
    actions: [
      {
        kind: 'create_person',
        contactId: contact.contact_id,
        email,
        ownerId: ctx.settings.newPersonOwnerId,
        body,
      },
    ],
    base: {
      email,
      values: nextValues(ctx, null, m.agreed, new Set(droppedIds(m.toPipedrive, write))),
    },
    conflicts: [],
    warnings: [],
  };
  sortIssues(write.issues, out, { contactId: contact.contact_id });
  return out;
}

/**
 * Revive a deleted contact with a PUT carrying the target lists (CC 5). The body never sets
 * `permission_to_send`: deleted is not unsubscribed, and an opt-out stays an opt-out.
 */
export function revive(
  ctx: Ctx,
  person: PersonSnapshot,
  contactId: string,
  contact: ContactSnapshot | null,
  old: LinkBase | null,
  pd: SideRecord,
  email: string,
): Plan {
  const record = contact ? readContact(contact, ctx.fields) : null;
  const cc = record?.values ?? {};
  // The email goes along only when the person's differs from the one the contact still has.
  const sameEmail = record?.email.ok === true && record.email.email === email;
  // The revive is driven by the person: every field that may reach CC follows Pipedrive, as
  // a one-way field would, against the link's base when there is one, so a value cleared in
  // Pipedrive while the contact was deleted is cleared in CC too, not copied back later.
  const m = merge({
    fields: ctx.mergeFields
      .filter((f) => f.direction !== 'to_pipedrive')
      .map((f) => ({ ...f, direction: 'to_cc' as const })),
    base: old?.values ?? null,
    pipedrive: pd.values,
    cc,
    conflictWinner: 'pipedrive',
  });
  const write = contactWrite(m.toCc, ctx.fields, contact, sameEmail ? undefined : email);
  const listIds = ctx.settings.targetListIds;
  const out: Plan = {
    actions: [
      {
        kind: 'revive_contact',
        contactId,
        personId: person.id,
        listIds,
        body: { ...write.body, list_memberships: listIds },
      },
    ],
    base: {
      email,
      values: nextValues(ctx, old?.values ?? null, m.agreed, new Set(droppedIds(m.toCc, write))),
    },
    conflicts: [],
    warnings: readWarnings(pd, m.toCc),
  };
  if (!old) {
    out.actions.unshift({
      kind: 'link',
      personId: person.id,
      contactId,
      email,
      unsubscribed: contact ? contactUnsubscribed(contact) : false,
      at: ctx.now,
    });
  }
  sortIssues(write.issues, out, { personId: person.id, contactId });
  return out;
}
