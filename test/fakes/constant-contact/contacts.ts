/**
 * Contact semantics of Constant Contact, applied to the store: create (409 for any known
 * email), PUT (blank omitted top-level fields, keep omitted sub-resources, revive, no
 * resubscribe), sign_up_form, soft delete and opt-outs. Routes, bulk activities and the control
 * surface all go through these functions, so the rules live in one place.
 */
import { ccContactLimits as L } from '../../../server/constant-contact/provider.ts';
import type { AddressInput, ContactInput, CustomFieldInput, PhoneInput } from './contact-input.ts';
import { SCALAR_FIELDS } from './contact-input.ts';
import { contactConflict, validationError } from './errors.ts';
import type {
  AccountStore,
  AddressRecord,
  CcStore,
  ContactRecord,
  CustomFieldValue,
  Permission,
  PhoneRecord,
  Source,
} from './store.ts';

export function phoneRecords(store: CcStore, items: PhoneInput[], now: number): PhoneRecord[] {
  return items.map((p) => ({
    phone_number_id: store.uuid(),
    ...p,
    createdAt: now,
    updatedAt: now,
  }));
}

export function addressRecords(
  store: CcStore,
  items: AddressInput[],
  now: number,
): AddressRecord[] {
  return items.map((a) => ({
    street_address_id: store.uuid(),
    ...a,
    createdAt: now,
    updatedAt: now,
  }));
}

export function mergeCustomFields(
  current: CustomFieldValue[] | undefined,
  incoming: CustomFieldInput[],
): CustomFieldValue[] {
  const byId = new Map((current ?? []).map((f) => [f.custom_field_id, f.value]));
  for (const f of incoming) byId.set(f.custom_field_id, f.value);
  return [...byId].map(([custom_field_id, value]) => ({ custom_field_id, value }));
}

export function union(current: string[] | undefined, incoming: string[]): string[] {
  return [...new Set([...(current ?? []), ...incoming])];
}

export function checkMax(count: number, max: number, what: string): void {
  if (count > max) throw validationError([`${what} exceeds the maximum of ${max} items.`]);
}

/** §4.4/§4.7: opting in sets the opt-in source and date once. */
function newEmail(
  address: string,
  permission: Permission,
  source: Source,
  now: number,
): NonNullable<ContactRecord['email']> {
  const optedIn = permission === 'explicit' || permission === 'implicit';
  return {
    address,
    permission,
    createdAt: now,
    updatedAt: now,
    optInSource: optedIn ? source : undefined,
    optInDate: optedIn ? now : undefined,
    confirmStatus: permission === 'pending_confirmation' ? 'pending' : 'off',
  };
}

/** §4.1/§5: 409 for any email the account has seen, deleted and unsubscribed included. */
export function createContact(
  store: CcStore,
  account: AccountStore,
  input: ContactInput,
  now: number,
): ContactRecord {
  if (input.email) {
    const existing = account.findByEmail(input.email.address);
    if (existing) throw contactConflict(existing.contact_id);
  }
  const source = input.create_source ?? 'Account';
  const contact: ContactRecord = {
    contact_id: store.uuid(),
    create_source: source,
    update_source: source,
    createdAt: now,
    updatedAt: now,
  };
  for (const key of SCALAR_FIELDS) setScalar(contact, key, input[key]);
  if (input.email) {
    const permission = input.email.permission ?? 'implicit';
    contact.email = newEmail(input.email.address, permission, source, now);
    if (permission === 'unsubscribed') {
      contact.email.optOutSource = source;
      contact.email.optOutDate = now;
      contact.email.optOutReason = input.email.optOutReason;
    }
  }
  if (input.custom_fields)
    contact.custom_fields = mergeCustomFields(undefined, input.custom_fields);
  if (input.phone_numbers) contact.phone_numbers = phoneRecords(store, input.phone_numbers, now);
  if (input.street_addresses)
    contact.street_addresses = addressRecords(store, input.street_addresses, now);
  if (input.list_memberships) contact.list_memberships = [...input.list_memberships];
  if (input.taggings) contact.taggings = [...input.taggings];
  if (input.notes)
    contact.notes = input.notes.map((content) => ({
      note_id: store.uuid(),
      content,
      createdAt: now,
    }));
  account.insertContact(contact);
  return contact;
}

export function setScalar<K extends (typeof SCALAR_FIELDS)[number]>(
  contact: ContactRecord,
  key: K,
  value: ContactRecord[K],
): void {
  if (value === undefined) delete contact[key];
  else contact[key] = value;
}

/**
 * Moves a contact to `unsubscribed`. §12: only `email_address.updated_at` moves; the caller
 * decides whether the contact's own updated_at moves too (an API PUT does, an opt-out by the
 * contact does not).
 */
export function optOut(
  contact: ContactRecord,
  source: Source,
  at: number,
  reason: string | undefined,
): void {
  const email = contact.email;
  if (!email || email.permission === 'unsubscribed') return;
  email.permission = 'unsubscribed';
  email.optOutSource = source;
  email.optOutDate = at;
  email.optOutReason = reason;
  email.updatedAt = at;
}

/** `PUT /contacts/{id}` (§4.5, §4.7). */
export function putContact(
  store: CcStore,
  account: AccountStore,
  contact: ContactRecord,
  input: ContactInput,
  now: number,
): ContactRecord {
  const behaviour = store.behaviour;
  if (input.email) {
    const owner = account.findByEmail(input.email.address);
    if (owner && owner.contact_id !== contact.contact_id) throw contactConflict(owner.contact_id);
  }
  // Everything that can fail is checked before anything changes: a 400 leaves the contact as it was.
  const subResources = subResourceUpdate(store, contact, input, now, behaviour.putArrays);
  const requested = input.email?.permission;
  if (
    contact.email?.permission === 'unsubscribed' &&
    requested !== undefined &&
    requested !== 'unsubscribed' &&
    behaviour.unsubscribedPut === 'reject'
  ) {
    store.permissionAttempts.push({
      at: now,
      accountId: account.accountId,
      contactId: contact.contact_id,
      requested,
      outcome: 'rejected',
    });
    throw validationError([
      'email_address.permission_to_send cannot change an unsubscribed contact; use the resubscribe endpoint.',
    ]);
  }

  const source = input.update_source ?? 'Account';
  applyEmail(store, account, contact, input, source, now);
  // §4.5: every top-level property left out is overwritten with null.
  for (const key of SCALAR_FIELDS) setScalar(contact, key, input[key]);
  Object.assign(contact, subResources);
  contact.update_source = source;
  contact.updatedAt = now;
  // §4.5: a PUT revives a deleted contact.
  delete contact.deletedAt;
  return contact;
}

function applyEmail(
  store: CcStore,
  account: AccountStore,
  contact: ContactRecord,
  input: ContactInput,
  source: Source,
  now: number,
): void {
  const previous = contact.email?.address;
  if (!input.email) {
    // §4.5: email_address is a top-level property, so leaving it out removes it.
    if (contact.email) {
      delete contact.email;
      account.reindexEmail(contact, previous);
    }
    return;
  }
  const { address, permission, optOutReason } = input.email;
  if (!contact.email) {
    contact.email = newEmail(address, permission ?? 'implicit', source, now);
    account.reindexEmail(contact, previous);
    return;
  }
  const email = contact.email;
  if (email.address !== address) {
    email.address = address;
    email.updatedAt = now;
    account.reindexEmail(contact, previous);
  }
  if (permission === undefined || permission === email.permission) return;
  if (permission === 'unsubscribed') {
    optOut(contact, source, now, optOutReason);
    return;
  }
  if (email.permission === 'unsubscribed') {
    // §4.7 (UNCONFIRMED): the default keeps the opt-out and logs the attempt ('reject' was
    // handled before any change, in putContact).
    const mode = store.behaviour.unsubscribedPut;
    store.permissionAttempts.push({
      at: now,
      accountId: account.accountId,
      contactId: contact.contact_id,
      requested: permission,
      outcome: mode === 'allow' ? 'allowed' : 'ignored',
    });
    if (mode !== 'allow') return;
  }
  // §4.7 (Fake): temp_hold only leaves through an explicit unsubscribe.
  if (email.permission === 'temp_hold') return;
  email.permission = permission;
  email.updatedAt = now;
  if (permission === 'explicit' || permission === 'implicit') {
    email.optInSource = source;
    email.optInDate = now;
    delete email.optOutDate;
    delete email.optOutSource;
    delete email.optOutReason;
  }
}

/** The sub-resource arrays a PUT sets (§4.5): sent arrays replace (or merge), absent ones stay. */
function subResourceUpdate(
  store: CcStore,
  contact: ContactRecord,
  input: ContactInput,
  now: number,
  mode: 'replace' | 'merge',
): Partial<ContactRecord> {
  const merge = mode === 'merge';
  const out: Partial<ContactRecord> = {};
  if (input.custom_fields) {
    out.custom_fields = mergeCustomFields(
      merge ? contact.custom_fields : undefined,
      input.custom_fields,
    );
    checkMax(out.custom_fields.length, L.customFieldValuesMax, 'custom_fields');
  }
  if (input.phone_numbers) {
    const fresh = phoneRecords(store, input.phone_numbers, now);
    out.phone_numbers = merge ? [...(contact.phone_numbers ?? []), ...fresh] : fresh;
    checkMax(out.phone_numbers.length, L.phonesMax, 'phone_numbers');
  }
  if (input.street_addresses) {
    const fresh = addressRecords(store, input.street_addresses, now);
    out.street_addresses = merge ? [...(contact.street_addresses ?? []), ...fresh] : fresh;
    checkMax(out.street_addresses.length, L.addressesMax, 'street_addresses');
  }
  if (input.list_memberships) {
    // A deleted contact has no memberships left to merge with (§5).
    const current = contact.deletedAt === undefined ? contact.list_memberships : [];
    out.list_memberships = merge
      ? union(current, input.list_memberships)
      : [...input.list_memberships];
    checkMax(out.list_memberships.length, L.listMembershipsMax, 'list_memberships');
  }
  if (input.taggings) {
    out.taggings = merge ? union(contact.taggings, input.taggings) : [...input.taggings];
    checkMax(out.taggings.length, L.taggingsMax, 'taggings');
  }
  if (input.notes) {
    const fresh = input.notes.map((content) => ({
      note_id: store.uuid(),
      content,
      createdAt: now,
    }));
    out.notes = merge ? [...(contact.notes ?? []), ...fresh] : fresh;
    checkMax(out.notes.length, L.notesMax, 'notes');
  }
  return out;
}

/** §5: soft delete; memberships cleared, permission unchanged, updated_at by behaviour. */
export function softDelete(store: CcStore, contact: ContactRecord, now: number): void {
  if (contact.deletedAt !== undefined) return;
  contact.deletedAt = now;
  delete contact.list_memberships;
  if (store.behaviour.deleteTouchesUpdatedAt) contact.updatedAt = now;
}

/** Adds list memberships in bulk; a deleted contact is revived (§5). */
export function addToLists(
  contact: ContactRecord,
  listIds: readonly string[],
  now: number,
): boolean {
  const lists = union(contact.deletedAt === undefined ? contact.list_memberships : [], [
    ...listIds,
  ]);
  if (lists.length > L.listMembershipsMax) return false;
  contact.list_memberships = lists;
  delete contact.deletedAt;
  contact.updatedAt = now;
  return true;
}
