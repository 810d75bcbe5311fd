/**
 * Person writes shared by the API routes (change_source "api") and the control surface's
 * "edit as a user in the UI" (change_source "app"), so both fire the same webhooks (reference
 * 7.4) and keep the store's indexes right.
 */
import type { FakeContext } from './api.ts';
import { notFound } from './api.ts';
import { personV2 } from './format.ts';
import type { ContactValue, Person } from './model.ts';
import type { CompanyStore } from './store.ts';
import { type PersonPatch, splitName } from './validate.ts';

export interface WriteSource {
  changeSource: 'api' | 'app';
  userId: number;
}

function render(fx: FakeContext, c: CompanyStore, p: Person): Record<string, unknown> {
  return personV2(p, c, { unsetAsNull: fx.behaviour.unsetCustomFields === 'null' });
}

export function createPerson(
  fx: FakeContext,
  c: CompanyStore,
  patch: PersonPatch,
  src: WriteSource,
): Person {
  const now = fx.clock.now();
  const names = resolveNames(patch, undefined);
  const custom: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(patch.custom_fields ?? {})) if (v !== null) custom[k] = v;
  const person: Person = {
    id: fx.store.nextId('person'),
    companyId: c.company.id,
    ...names,
    owner_id: patch.owner_id ?? src.userId,
    org_id: patch.org_id ?? null,
    add_time: patch.add_time ?? now,
    update_time: now,
    emails: patch.emails ?? [],
    phones: patch.phones ?? [],
    is_deleted: false,
    visible_to: patch.visible_to ?? 3,
    label_ids: patch.label_ids ?? [],
    job_title: patch.job_title ?? null,
    marketing_status: patch.marketing_status ?? null,
    custom_fields: custom,
    seq: fx.store.nextSeq(),
  };
  c.addPerson(person);
  fx.webhooks.emit(c, {
    entity: 'person',
    action: 'create',
    entityId: person.id,
    data: render(fx, c, person),
    previous: null,
    ...src,
  });
  return person;
}

function resolveNames(
  patch: PersonPatch,
  current: Person | undefined,
): { name: string; first_name: string; last_name: string } {
  if (patch.name !== undefined) {
    const split = splitName(patch.name);
    return {
      name: patch.name.trim(),
      first_name: patch.first_name ?? split.first_name,
      last_name: patch.last_name ?? split.last_name,
    };
  }
  if (patch.first_name !== undefined && patch.last_name !== undefined) {
    return {
      name: `${patch.first_name} ${patch.last_name}`.trim(),
      first_name: patch.first_name,
      last_name: patch.last_name,
    };
  }
  return {
    name: current?.name ?? '',
    first_name: current?.first_name ?? '',
    last_name: current?.last_name ?? '',
  };
}

export function livePerson(c: CompanyStore, id: number): Person {
  const p = c.persons.get(id);
  if (!p || p.is_deleted) throw notFound('Person');
  return p;
}

function mergeContacts(current: ContactValue[], incoming: ContactValue[]): ContactValue[] {
  const out = current.map((c) => ({ ...c }));
  for (const item of incoming) {
    const existing = out.find((c) => c.value.toLowerCase() === item.value.toLowerCase());
    if (existing) Object.assign(existing, item);
    else out.push(item);
  }
  if (incoming.some((c) => c.primary))
    for (const c of out) c.primary = incoming.some((i) => i.primary && i.value === c.value);
  return out;
}

export function updatePerson(
  fx: FakeContext,
  c: CompanyStore,
  id: number,
  patch: PersonPatch,
  src: WriteSource,
): Person {
  const p = livePerson(c, id);
  const before = render(fx, c, p);
  const oldEmails = p.emails.map((e) => e.value);
  if (
    patch.name !== undefined ||
    (patch.first_name !== undefined && patch.last_name !== undefined)
  ) {
    Object.assign(p, resolveNames(patch, p));
  } else {
    if (patch.first_name !== undefined) p.first_name = patch.first_name;
    if (patch.last_name !== undefined) p.last_name = patch.last_name;
  }
  const merge = fx.behaviour.patchContacts === 'merge';
  if (patch.emails) p.emails = merge ? mergeContacts(p.emails, patch.emails) : patch.emails;
  if (patch.phones) p.phones = merge ? mergeContacts(p.phones, patch.phones) : patch.phones;
  if (patch.owner_id !== undefined) p.owner_id = patch.owner_id;
  if (patch.org_id !== undefined) p.org_id = patch.org_id;
  if (patch.visible_to !== undefined) p.visible_to = patch.visible_to;
  if (patch.label_ids !== undefined) p.label_ids = patch.label_ids;
  if (patch.job_title !== undefined) p.job_title = patch.job_title;
  // Reference 4.6: marketing_status changes once; forbidden changes are ignored silently.
  if (
    patch.marketing_status !== undefined &&
    (p.marketing_status === null || p.marketing_status === 'no_consent')
  ) {
    p.marketing_status = patch.marketing_status;
  }
  for (const [k, v] of Object.entries(patch.custom_fields ?? {})) {
    if (v === null) delete p.custom_fields[k];
    else p.custom_fields[k] = v;
  }
  return commitChange(fx, c, p, before, oldEmails, src);
}

/** Bumps update_time, re-indexes and emits `change` with only the changed fields in `previous`. */
function commitChange(
  fx: FakeContext,
  c: CompanyStore,
  p: Person,
  before: Record<string, unknown>,
  oldEmails: string[],
  src: WriteSource,
  meta: { mergedFromId?: number } = {},
): Person {
  p.update_time = Math.max(fx.clock.now(), p.update_time);
  p.seq = fx.store.nextSeq();
  c.touchPerson(p, oldEmails);
  const after = render(fx, c, p);
  const previous: Record<string, unknown> = {};
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (k === 'update_time') continue;
    if (JSON.stringify(before[k]) !== JSON.stringify(after[k])) previous[k] = before[k] ?? null;
  }
  if (Object.keys(previous).length > 0 || meta.mergedFromId !== undefined) {
    fx.webhooks.emit(c, {
      entity: 'person',
      action: 'change',
      entityId: p.id,
      data: after,
      previous,
      ...src,
      ...meta,
    });
  }
  return p;
}

/** Soft delete (reference 4.3): `is_deleted`, `update_time` = deletion time, purged after 30 days. */
export function deletePerson(
  fx: FakeContext,
  c: CompanyStore,
  id: number,
  src: WriteSource,
  meta: { mergedToId?: number } = {},
): void {
  const p = livePerson(c, id);
  const before = render(fx, c, p);
  p.is_deleted = true;
  p.update_time = Math.max(fx.clock.now(), p.update_time);
  p.seq = fx.store.nextSeq();
  c.touchPerson(p, []);
  fx.webhooks.emit(c, {
    entity: 'person',
    action: 'delete',
    entityId: p.id,
    data: null,
    previous: before,
    ...src,
    ...meta,
  });
}

/**
 * Merge (reference 4.9): `id` disappears, `mergeWithId` survives. The survivor keeps its own
 * values and takes the other's where it has none; emails and phones are united; activities and
 * notes move to the survivor. Webhooks: delete (merged_to_id) then change (merged_from_id).
 */
export function mergePersons(
  fx: FakeContext,
  c: CompanyStore,
  id: number,
  mergeWithId: number,
  src: WriteSource,
): Person {
  const gone = livePerson(c, id);
  const survivor = livePerson(c, mergeWithId);
  const before = render(fx, c, survivor);
  const oldEmails = survivor.emails.map((e) => e.value);
  const unite = (a: ContactValue[], b: ContactValue[]) => [
    ...a.map((x) => ({ ...x })),
    ...b
      .filter((x) => !a.some((y) => y.value.toLowerCase() === x.value.toLowerCase()))
      .map((x) => ({ ...x, primary: false })),
  ];
  const survivorHadPrimary = survivor.emails.length > 0;
  survivor.emails = unite(survivor.emails, gone.emails);
  if (!survivorHadPrimary && survivor.emails[0]) survivor.emails[0].primary = true;
  survivor.phones = unite(survivor.phones, gone.phones);
  if (survivor.phones[0] && !survivor.phones.some((x) => x.primary))
    survivor.phones[0].primary = true;
  if (survivor.org_id === null) survivor.org_id = gone.org_id;
  if (survivor.job_title === null) survivor.job_title = gone.job_title;
  survivor.label_ids = [...new Set([...survivor.label_ids, ...gone.label_ids])];
  for (const [k, v] of Object.entries(gone.custom_fields))
    if (!(k in survivor.custom_fields)) survivor.custom_fields[k] = v;
  for (const a of c.activities.values()) {
    if (a.person_id === gone.id) a.person_id = survivor.id;
    for (const part of a.participants) if (part.person_id === gone.id) part.person_id = survivor.id;
  }
  for (const n of c.notes.values()) if (n.person_id === gone.id) n.person_id = survivor.id;
  deletePerson(fx, c, gone.id, src, { mergedToId: survivor.id });
  return commitChange(fx, c, survivor, before, oldEmails, src, { mergedFromId: gone.id });
}

/** Drops persons soft-deleted more than 30 days ago (reference 4.3). */
export function purgeDeleted(fx: FakeContext, c: CompanyStore, retentionDays: number): number {
  const cutoff = fx.clock.now() - retentionDays * 86_400_000;
  let n = 0;
  for (const p of [...c.persons.values()]) {
    if (p.is_deleted && p.update_time < cutoff) {
      c.purgePerson(p.id);
      n++;
    }
  }
  return n;
}
