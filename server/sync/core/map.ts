/**
 * Mapping, reading direction: a Pipedrive person snapshot or a CC contact snapshot (plain
 * data in the APIs' shapes, reference Pipedrive 4.3 and CC 4.4) → a normalised record keyed by
 * mapping-row id. The writing direction lives in map-write.ts.
 */
import type { CoreIssue } from './codes.ts';
import {
  type CompiledField,
  ccLimits,
  readablePersonSystemKeys,
  writesCc,
  writesPipedrive,
} from './fields.ts';
import {
  addressValue,
  birthdayFromDate,
  birthdayFromParts,
  type ContactValue,
  type EmailResult,
  type FieldValue,
  normaliseDate,
  normaliseEmail,
  normaliseName,
  normaliseNumber,
  normalisePhone,
  normaliseText,
  optionLabels,
  personEmail,
  primaryIndex,
  sameValue,
  truncate,
  truncateAddress,
} from './normalise.ts';

/** Pipedrive address value (reference 4.4 `address`, 4.3 `postal_address`). */
export interface PipedriveAddress {
  value?: string | null;
  route?: string | null;
  street_number?: string | null;
  locality?: string | null;
  admin_area_level_1?: string | null;
  postal_code?: string | null;
  country?: string | null;
}

/** The v2 Person fields the core reads (reference 4.3). */
export interface PersonSnapshot {
  id: number;
  add_time?: string | null;
  update_time?: string | null;
  is_deleted?: boolean | null;
  owner_id?: number | null;
  name?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  emails?: ContactValue[] | null;
  phones?: ContactValue[] | null;
  job_title?: string | null;
  birthday?: string | null;
  postal_address?: PipedriveAddress | null;
  notes?: string | null;
  custom_fields?: Record<string, unknown> | null;
  /** The person's organization, resolved by the shell (the v2 Person only has `org_id`). */
  organization?: { name?: string | null; custom_fields?: Record<string, unknown> | null } | null;
}

/** The CC contact fields the core reads (reference CC 4.4). */
export interface ContactSnapshot {
  contact_id: string;
  email_address?: {
    address: string;
    permission_to_send?: string | null;
    opt_out_date?: string | null;
  } | null;
  first_name?: string | null;
  last_name?: string | null;
  job_title?: string | null;
  company_name?: string | null;
  birthday_month?: number | null;
  birthday_day?: number | null;
  anniversary?: string | null;
  created_at?: string | null;
  updated_at?: string | null;
  deleted_at?: string | null;
  custom_fields?: { custom_field_id: string; value?: string | null }[] | null;
  phone_numbers?: { phone_number: string; kind?: string | null }[] | null;
  street_addresses?: CcStreetAddress[] | null;
  list_memberships?: string[] | null;
}

export interface CcStreetAddress {
  kind?: string | null;
  street?: string | null;
  city?: string | null;
  state?: string | null;
  postal_code?: string | null;
  country?: string | null;
}

/** Normalised values keyed by mapping-row id; a missing key means null. */
export type FieldValues = Record<string, FieldValue>;

export interface SideRecord {
  email: EmailResult;
  values: FieldValues;
  /** Warnings met while reading (truncation towards CC, deleted option ids). */
  issues: CoreIssue[];
}

function personRaw(person: PersonSnapshot, field: CompiledField): unknown {
  const { entity, key } = field.pipedrive;
  if (entity === 'organization') {
    const org = person.organization;
    return key === 'name' ? org?.name : org?.custom_fields?.[key];
  }
  if (key === 'phone') {
    const index = primaryIndex(person.phones);
    return index === -1 ? null : person.phones?.[index]?.value;
  }
  if (readablePersonSystemKeys.has(key)) return person[key as keyof PersonSnapshot];
  return person.custom_fields?.[key];
}

function pipedriveAddressValue(raw: unknown): FieldValue {
  if (raw === null || typeof raw !== 'object') return null;
  const a = raw as PipedriveAddress;
  const street = [a.street_number, a.route].filter((p) => normaliseText(p) !== null).join(' ');
  const hasParts = street !== '' || a.locality || a.postal_code || a.country;
  return addressValue({
    // A Pipedrive address without parsed parts only has its formatted `value`.
    street: hasParts ? street : a.value,
    city: a.locality,
    state: a.admin_area_level_1,
    postal_code: a.postal_code,
    country: a.country,
  });
}

/** One value from the Pipedrive side, normalised for the row's kind. */
function pipedriveValue(raw: unknown, field: CompiledField, issues: CoreIssue[]): FieldValue {
  switch (field.kind) {
    case 'name':
      return normaliseName(raw);
    case 'phone':
      return normalisePhone(raw);
    case 'date':
      return normaliseDate(raw);
    case 'birthday':
      return birthdayFromDate(raw);
    case 'number':
      return normaliseNumber(raw);
    case 'address':
      return pipedriveAddressValue(raw);
    case 'option':
    case 'options': {
      const { value, unknownIds } = optionLabels(raw, field.pipedriveInfo.options ?? []);
      if (unknownIds.length > 0) {
        issues.push({
          code: 'OPTION_ID_UNKNOWN',
          fieldId: field.id,
          detail: `${field.pipedriveInfo.label}: option id ${unknownIds.join(', ')} no longer exists`,
        });
      }
      return value;
    }
    case 'text':
      return normaliseText(raw);
  }
}

function fitToCc(value: FieldValue, field: CompiledField): FieldValue {
  return field.ccInfo.type === 'address'
    ? truncateAddress(value)
    : truncate(value, field.ccInfo.maxLength);
}

/**
 * A person → its normalised record. Values of rows that write to CC are cut to CC's length
 * limit here, so that the value compared, stored as base and written are the same and a long
 * Pipedrive value does not look like a change on every run (see normalise.ts `truncate`).
 */
export function readPerson(person: PersonSnapshot, fields: readonly CompiledField[]): SideRecord {
  const issues: CoreIssue[] = [];
  const values: FieldValues = {};
  for (const field of fields) {
    const full = pipedriveValue(personRaw(person, field), field, issues);
    const cut = writesCc(field.direction) ? fitToCc(full, field) : full;
    if (cut !== full) {
      issues.push({
        code: 'FIELD_TRUNCATED',
        fieldId: field.id,
        detail: `${field.pipedriveInfo.label} → ${field.ccInfo.label}: shortened to fit Constant Contact`,
      });
    }
    values[field.id] = cut;
  }
  return { email: personEmail(person.emails), values, issues };
}

function ccAddress(contact: ContactSnapshot, kind: string): FieldValue {
  const a = contact.street_addresses?.find((s) => s.kind === kind);
  return a ? addressValue(a) : null;
}

function contactRaw(contact: ContactSnapshot, field: CompiledField): unknown {
  const ref = field.cc;
  switch (ref.kind) {
    case 'standard':
      return contact[ref.field];
    case 'phone':
      return contact.phone_numbers?.find((p) => p.kind === ref.phoneKind)?.phone_number;
    case 'address':
      return ccAddress(contact, ref.addressKind);
    case 'birthday':
      return birthdayFromParts(contact.birthday_month, contact.birthday_day);
    case 'custom':
      return contact.custom_fields?.find((c) => c.custom_field_id === ref.customFieldId)?.value;
  }
}

function ccValue(raw: unknown, field: CompiledField): FieldValue {
  switch (field.kind) {
    case 'name':
      return normaliseName(raw);
    case 'phone':
      return normalisePhone(raw);
    case 'date':
      return normaliseDate(raw);
    case 'number':
      return normaliseNumber(raw);
    // Already canonical (contactRaw built them).
    case 'birthday':
    case 'address':
      return typeof raw === 'string' ? raw : null;
    case 'option':
    case 'options':
    case 'text':
      return normaliseText(raw);
  }
}

/** A contact → its normalised record. */
export function readContact(
  contact: ContactSnapshot,
  fields: readonly CompiledField[],
): SideRecord {
  const values: FieldValues = {};
  for (const field of fields) values[field.id] = ccValue(contactRaw(contact, field), field);
  return {
    email: normaliseEmail(contact.email_address?.address, ccLimits.email),
    values,
    issues: [],
  };
}

/**
 * True when the contact holds nothing Pipedrive has not got: its email and every value that
 * flows to Pipedrive equal the link's base. The CC poll then has no reason to read the person
 * (an echo of our own write, or a change to a field that only flows to CC).
 */
export function contactMatchesBase(
  contact: ContactSnapshot,
  base: { email: string; values: Readonly<Record<string, FieldValue>> },
  fields: readonly CompiledField[],
): boolean {
  if (contactDeleted(contact)) return false;
  const record = readContact(contact, fields);
  if (!record.email.ok || record.email.email !== base.email) return false;
  return fields.every(
    (field) =>
      !writesPipedrive(field.direction) ||
      sameValue(field.kind, record.values[field.id] ?? null, base.values[field.id] ?? null),
  );
}

/** Deleted in CC: a soft delete leaves `deleted_at` (CC 5). */
export function contactDeleted(contact: ContactSnapshot): boolean {
  return normaliseText(contact.deleted_at) !== null;
}

/** Opted out: nothing the sync does may change this (DESIGN §3 "Deletes, merges, subscriptions"). */
export function contactUnsubscribed(contact: ContactSnapshot): boolean {
  return contact.email_address?.permission_to_send === 'unsubscribed';
}
