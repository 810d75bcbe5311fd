/**
 * The planner: two snapshots (either may be missing) plus the pair's link → the actions the
 * shell executes and the base it stores afterwards (STYLE habit 8). Every rule cited below is
 * from DESIGN §3. No I/O, no clock: `now` is an argument and only stamps actions.
 *
 * Decisions where DESIGN §3 is silent (flow gating by rules, email collisions, dropped
 * writes, revives, links implied by creates) are listed in README.md next to this file.
 */
import type { LinkBase, LinkSnapshot, LinkState, Plan, PlanInput, SyncAction } from './actions.ts';
import {
  type ContactSnapshot,
  contactUnsubscribed,
  type PersonSnapshot,
  readContact,
  readPerson,
  type SideRecord,
} from './map.ts';
import { contactWrite, personWrite } from './map-write.ts';
import { type Conflict, merge, mergeField } from './merge.ts';
import { sameValue } from './normalise.ts';
import { createContact, createPerson, revive } from './plan-create.ts';
import {
  type Ctx,
  droppedIds,
  empty,
  liveContact,
  livePerson,
  narrow,
  nextValues,
  readWarnings,
  single,
  sortIssues,
  takenEmail,
} from './plan-util.ts';

export type * from './actions.ts';

export function plan(input: PlanInput): Plan {
  const toCc = input.settings.direction !== 'to_pipedrive' && input.inPipedriveRule;
  const toPipedrive = input.settings.direction !== 'to_cc' && input.inCcRule;
  const mergeFields = input.fields.flatMap((f) => {
    const direction = narrow(f.direction, toCc, toPipedrive);
    return direction ? [{ id: f.id, kind: f.kind, direction }] : [];
  });
  const ctx: Ctx = { ...input, toCc, toPipedrive, mergeFields };
  const result = input.link ? planLinked(ctx, input.link) : planNew(ctx);
  if (result.actions.length === 0) result.actions.push({ kind: 'nothing', reason: 'in_sync' });
  return result;
}

function planNew(ctx: Ctx): Plan {
  const person = livePerson(ctx.person);
  const contact = ctx.contact;
  if (person && ctx.duplicateOf !== undefined) {
    return single({
      kind: 'record_error',
      code: 'DUPLICATE_EMAIL',
      personId: person.id,
      detail: `The oldest person with this email (id ${ctx.duplicateOf}) is synced instead.`,
    });
  }
  const live = liveContact(contact);
  if (person && live) return planPair(ctx, person, live);
  if (person) {
    if (!ctx.toCc) return empty('out_of_rule');
    const pd = readPerson(person, ctx.fields);
    if (!pd.email.ok) {
      return single({ kind: 'exclude', side: 'pipedrive', id: person.id, reason: pd.email.reason });
    }
    // DESIGN §3: deleted CC contacts are revived when their person is in the rule.
    if (contact) return revive(ctx, person, contact.contact_id, contact, null, pd, pd.email.email);
    return createContact(ctx, person, pd, pd.email.email);
  }
  if (live) {
    if (!ctx.toPipedrive) return empty('out_of_rule');
    const cc = readContact(live, ctx.fields);
    if (!cc.email.ok) {
      return single({ kind: 'exclude', side: 'cc', id: live.contact_id, reason: cc.email.reason });
    }
    return createPerson(ctx, live, cc, cc.email.email);
  }
  return empty('no_counterpart');
}

/** A new pair matched by email: link, then reconcile fields by the initial rules. */
function planPair(ctx: Ctx, person: PersonSnapshot, contact: ContactSnapshot): Plan {
  if (!ctx.toCc && !ctx.toPipedrive) return empty('out_of_rule');
  const pd = readPerson(person, ctx.fields);
  if (!pd.email.ok) {
    return single({ kind: 'exclude', side: 'pipedrive', id: person.id, reason: pd.email.reason });
  }
  const email = pd.email.email;
  const out = reconcile(ctx, person, contact, pd, readContact(contact, ctx.fields), null, email);
  out.actions.unshift({
    kind: 'link',
    personId: person.id,
    contactId: contact.contact_id,
    email,
    unsubscribed: contactUnsubscribed(contact),
    at: ctx.now,
  });
  return out;
}

/** Merge a live pair's fields (and email) and turn the result into update actions. */
function reconcile(
  ctx: Ctx,
  person: PersonSnapshot,
  contact: ContactSnapshot,
  pd: SideRecord,
  cc: SideRecord,
  old: LinkBase | null,
  email: string | null,
): Plan {
  const m = merge({
    fields: ctx.mergeFields,
    base: old?.values ?? null,
    pipedrive: pd.values,
    cc: cc.values,
    conflictWinner: ctx.settings.conflictWinner,
  });
  const emails = mergeEmail(ctx, pd, cc, old, email);
  // The address this sync would write, on either side: refused before as taken, it stays so.
  const written = emails.toCc ?? emails.toPipedrive;
  const taken = ctx.emailTaken ?? (written !== undefined && takenEmail(old) === written);
  if ((emails.toCc !== undefined || emails.toPipedrive !== undefined) && taken) {
    const ids = { personId: person.id, contactId: contact.contact_id };
    return {
      actions: [collision(ids, (emails.toCc ?? emails.toPipedrive) as string)],
      base: old,
      conflicts: [],
      warnings: [],
    };
  }
  const ids = { personId: person.id, contactId: contact.contact_id };
  const conflicts = emails.conflict ? [...m.conflicts, emails.conflict] : m.conflicts;
  const out: Plan = { actions: [], base: null, conflicts, warnings: [] };
  const dropped = new Set<string>();

  if (Object.keys(m.toCc).length > 0 || emails.toCc !== undefined) {
    const write = contactWrite(m.toCc, ctx.fields, contact, emails.toCc);
    for (const id of droppedIds(m.toCc, write)) dropped.add(id);
    if (write.written.length > 0 || emails.toCc !== undefined) {
      out.actions.push({ kind: 'update_contact', ...ids, body: write.body, fields: write.written });
    }
    sortIssues(write.issues, out, ids);
  }
  if (Object.keys(m.toPipedrive).length > 0 || emails.toPipedrive !== undefined) {
    const write = personWrite(m.toPipedrive, ctx.fields, person, emails.toPipedrive);
    for (const id of droppedIds(m.toPipedrive, write)) dropped.add(id);
    if (write.written.length > 0 || emails.toPipedrive !== undefined) {
      out.actions.push({ kind: 'update_person', ...ids, body: write.body, fields: write.written });
    }
    sortIssues(write.issues, out, ids);
  }
  out.warnings.unshift(...readWarnings(pd, m.toCc), ...cc.issues);
  out.base = {
    email: emails.agreed ?? old?.email ?? '',
    values: nextValues(ctx, old?.values ?? null, m.agreed, dropped),
  };
  return out;
}

/**
 * Email as a two-way field whose base is the link's email (DESIGN §3: after linking, an email
 * change on either side updates the other). An invalid or missing email on one side is not a
 * change to copy: a CC contact needs its address, and matching needs a valid one.
 */
function mergeEmail(
  ctx: Ctx,
  pd: SideRecord,
  cc: SideRecord,
  old: LinkBase | null,
  email: string | null,
): { toCc?: string; toPipedrive?: string; agreed: string | null; conflict?: Conflict } {
  if (!old) return { agreed: email };
  const pdEmail = pd.email.ok ? pd.email.email : old.email;
  const ccEmail = cc.email.ok ? cc.email.email : old.email;
  const direction = narrow('both', ctx.toCc, ctx.toPipedrive);
  if (!direction) return { agreed: old.email };
  const m = mergeField({
    field: { id: 'email', kind: 'text', direction },
    base: old.email,
    pipedrive: pdEmail,
    cc: ccEmail,
    conflictWinner: ctx.settings.conflictWinner,
  });
  return {
    toCc: m.toCc ?? undefined,
    toPipedrive: m.toPipedrive ?? undefined,
    agreed: m.agreed,
    conflict: m.conflict,
  };
}

function planLinked(ctx: Ctx, link: LinkSnapshot): Plan {
  const ids = { personId: link.personId, contactId: link.contactId };
  const mark = (state: LinkState): Plan =>
    link.state === state
      ? empty('already_marked', link.base)
      : {
          actions: [{ kind: 'mark_link', ...ids, state, at: ctx.now }],
          base: link.base,
          conflicts: [],
          warnings: [],
        };
  const person = livePerson(ctx.person);
  // DESIGN §3: a deleted person leaves the contact as it is, subscribed; only the link changes.
  // After a merge the survivor takes the link over, unless it has its own: then the merged
  // person's contact is kept like any other deleted person's (never unsubscribed or removed).
  if (!person) {
    const merged = ctx.mergedInto;
    if (!merged || merged.survivorLinked) return mark('person_deleted');
    return {
      actions: [
        {
          kind: 'move_link',
          contactId: link.contactId,
          fromPersonId: link.personId,
          toPersonId: merged.personId,
          at: ctx.now,
        },
      ],
      base: link.base,
      conflicts: [],
      warnings: [],
    };
  }
  const contact = liveContact(ctx.contact);
  if (!contact) {
    if (!ctx.toCc) return mark('contact_deleted');
    const pd = readPerson(person, ctx.fields);
    if (!pd.email.ok || !personChanged(ctx, pd, link.base)) return mark('contact_deleted');
    // The revive writes the person's email onto the contact: when another contact holds it
    // (CC emails are unique, deleted contacts' included) the revive would be refused every
    // time. DESIGN §3 is silent here; as for a live pair, nothing is written and the person
    // shows the collision, the link stays marked, and its base stays as it was (noting the
    // address, for the scan), so the next change of the person tries again.
    if (ctx.emailTaken ?? takenEmail(link.base) === pd.email.email) {
      const collided = mark('contact_deleted');
      collided.actions = [
        ...collided.actions.filter((a) => a.kind === 'mark_link'),
        collision(ids, pd.email.email),
      ];
      return collided;
    }
    const out = revive(ctx, person, link.contactId, ctx.contact, link.base, pd, pd.email.email);
    if (link.state !== 'active') {
      out.actions.unshift({ kind: 'mark_link', ...ids, state: 'active', at: ctx.now });
    }
    return out;
  }
  // DESIGN §3: out of rule stops syncing; nothing is deleted or unsubscribed.
  if (!ctx.toCc && !ctx.toPipedrive) return mark('out_of_rule');
  const pd = readPerson(person, ctx.fields);
  const cc = readContact(contact, ctx.fields);
  // A link that never completed a sync has no base email: take the current one.
  const email =
    link.base?.email ?? (pd.email.ok ? pd.email.email : cc.email.ok ? cc.email.email : null);
  const out = reconcile(ctx, person, contact, pd, cc, link.base, email);
  if (link.state !== 'active' && out.actions[0]?.kind !== 'record_error') {
    out.actions.unshift({ kind: 'mark_link', ...ids, state: 'active', at: ctx.now });
  }
  return out;
}

/** DESIGN §3: an email change that would collide with another contact overwrites nothing. */
function collision(ids: { personId: number; contactId: string }, email: string): SyncAction {
  return {
    kind: 'record_error',
    code: 'EMAIL_COLLISION',
    ...ids,
    detail: `The new email ${email} belongs to another synced contact.`,
    email,
  };
}

/** Whether the person moved away from the base in anything that flows to CC. */
function personChanged(ctx: Ctx, pd: SideRecord, base: LinkBase | null): boolean {
  if (!base) return true;
  if (pd.email.ok && pd.email.email !== base.email) return true;
  return ctx.mergeFields.some(
    (f) =>
      f.direction !== 'to_pipedrive' &&
      !sameValue(f.kind, pd.values[f.id] ?? null, base.values[f.id] ?? null),
  );
}
