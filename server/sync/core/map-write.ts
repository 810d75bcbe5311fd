/**
 * Mapping, writing direction: values the merge decided on → the partial body for each API,
 * in the API's own shape. Arrays (Pipedrive `emails`/`phones`, CC `phone_numbers`,
 * `street_addresses`, `custom_fields`) are always sent complete, built from the snapshot,
 * because both APIs replace them wholesale (reference Pipedrive 4.5, CC 4.5).
 *
 * The CC body is partial at the top level: CC's PUT nulls top-level properties left out (CC
 * 4.5), so the shell lays it over the full contact it read before sending. No body built here
 * ever carries `permission_to_send` except a create (`implicit`, DESIGN §3 "Initial sync").
 */
import type { CoreIssue } from './codes.ts';
import { type CompiledField, ccLimits } from './fields.ts';
import type { ContactSnapshot, PersonSnapshot, PipedriveAddress } from './map.ts';
import {
  addressParts,
  birthdayOntoDate,
  birthdayToParts,
  type ContactValue,
  type FieldValue,
  normaliseText,
  optionIdsFromText,
  primaryIndex,
} from './normalise.ts';

/** Body for `POST /api/v2/persons` or `PATCH /api/v2/persons/{id}` (reference 4.5). */
export interface PersonWrite {
  name?: string;
  first_name?: string;
  last_name?: string;
  owner_id?: number;
  emails?: ContactValue[];
  phones?: ContactValue[];
  job_title?: string | null;
  birthday?: string | null;
  postal_address?: PipedriveAddress | null;
  notes?: string | null;
  custom_fields?: Record<string, unknown>;
}

/** Body for `POST /contacts` or (laid over the full contact) `PUT /contacts/{id}` (CC 4.5). */
export interface ContactWrite {
  email_address?: { address: string; permission_to_send?: 'implicit' };
  first_name?: string | null;
  last_name?: string | null;
  job_title?: string | null;
  company_name?: string | null;
  anniversary?: string | null;
  birthday_month?: number | null;
  birthday_day?: number | null;
  phone_numbers?: { phone_number: string; kind: string }[];
  street_addresses?: ({ kind: string } & Record<string, string | null>)[];
  custom_fields?: { custom_field_id: string; value: string }[];
  list_memberships?: string[];
}

export interface WriteResult<T> {
  body: T;
  /** Row ids actually written; a row left out here keeps its old base (plan.ts). */
  written: string[];
  issues: CoreIssue[];
}

/** Replace the primary entry's value, add one when there is none, drop it on null. */
function setPrimary(entries: readonly ContactValue[] | null | undefined, value: FieldValue) {
  const list = (entries ?? []).map((e) => ({ ...e }));
  const index = primaryIndex(list);
  if (value === null) {
    if (index !== -1) list.splice(index, 1);
  } else if (index === -1) {
    list.push({ value, primary: true, label: 'work' });
  } else {
    list[index] = { ...list[index], value };
  }
  return list;
}

function pipedriveCustomValue(
  field: CompiledField,
  value: FieldValue,
): { ok: true; value: unknown } | { ok: false; missing: string[] } {
  if (value === null) return { ok: true, value: null };
  switch (field.kind) {
    case 'option':
    case 'options': {
      const multiple = field.pipedriveInfo.type === 'options';
      const result = optionIdsFromText(value, field.pipedriveInfo.options ?? [], multiple);
      if (!result.ok) return result;
      // v2: enum is one number, set an array; an empty set is cleared with null (reference 4.4).
      const ids = result.ids;
      return { ok: true, value: multiple ? (ids.length ? ids : null) : (ids[0] ?? null) };
    }
    case 'number':
      return { ok: true, value: Number(value) };
    case 'address':
      return { ok: true, value: toPipedriveAddress(value) };
    default:
      return { ok: true, value };
  }
}

function toPipedriveAddress(value: FieldValue): PipedriveAddress | null {
  if (value === null) return null;
  const a = addressParts(value);
  const formatted = [
    a.street,
    a.city,
    [a.state, a.postal_code].filter(Boolean).join(' '),
    a.country,
  ]
    .filter((p) => p)
    .join(', ');
  return {
    value: formatted,
    route: a.street,
    locality: a.city,
    admin_area_level_1: a.state,
    postal_code: a.postal_code,
    country: a.country,
  };
}

/**
 * Values for Pipedrive → a person body. `person` is the current snapshot (null for a create).
 * `email` replaces the primary email (DESIGN §3: an email change updates the other side).
 */
export function personWrite(
  values: Readonly<Record<string, FieldValue>>,
  fields: readonly CompiledField[],
  person: PersonSnapshot | null,
  email?: string,
): WriteResult<PersonWrite> {
  const body: PersonWrite = {};
  const written: string[] = [];
  const issues: CoreIssue[] = [];
  const names: Partial<Record<'first_name' | 'last_name', string>> = {};
  const nameRows: string[] = [];

  for (const field of fields) {
    if (!(field.id in values)) continue;
    const value = values[field.id] ?? null;
    const key = field.pipedrive.key;
    if (field.kind === 'birthday') {
      const current = key === 'birthday' ? person?.birthday : person?.custom_fields?.[key];
      const result = birthdayOntoDate(value, current);
      if (!result.ok) {
        issues.push({ code: result.reason, fieldId: field.id, detail: field.pipedriveInfo.label });
        continue;
      }
      if (key === 'birthday') body.birthday = result.date;
      else body.custom_fields = { ...body.custom_fields, [key]: result.date };
    } else if (key === 'first_name' || key === 'last_name') {
      names[key] = value ?? '';
      nameRows.push(field.id);
      continue;
    } else if (key === 'phone') {
      body.phones = setPrimary(person?.phones, value);
    } else if (key === 'job_title' || key === 'notes') {
      body[key] = value;
    } else if (key === 'postal_address') {
      body.postal_address = toPipedriveAddress(value);
    } else {
      const result = pipedriveCustomValue(field, value);
      if (!result.ok) {
        issues.push({
          code: 'OPTION_LABEL_MISSING',
          fieldId: field.id,
          detail: `${field.pipedriveInfo.label}: ${result.missing.map((l) => `“${l}”`).join(', ')} is not an option`,
        });
        continue;
      }
      body.custom_fields = { ...body.custom_fields, [key]: result.value };
    }
    written.push(field.id);
  }

  if (nameRows.length > 0) {
    // A PATCH that changes the name needs both parts, and not both empty (reference 4.5).
    const first = names.first_name ?? normaliseText(person?.first_name) ?? '';
    const last = names.last_name ?? normaliseText(person?.last_name) ?? '';
    if (first === '' && last === '') {
      if (person) {
        for (const id of nameRows) issues.push({ code: 'NAME_REQUIRED', fieldId: id });
      }
    } else {
      body.first_name = first;
      body.last_name = last;
      written.push(...nameRows);
    }
  }
  if (email !== undefined) body.emails = setPrimary(person?.emails, email);
  return { body, written, issues };
}

/** Set, replace or remove the first element matching `match`, within CC's per-contact limit. */
function setItem<T>(
  list: T[],
  match: (item: T) => boolean,
  item: T | null,
  limit: number,
): boolean {
  const index = list.findIndex(match);
  if (item === null) {
    if (index !== -1) list.splice(index, 1);
  } else if (index !== -1) {
    list[index] = item;
  } else if (list.length >= limit) {
    return false;
  } else {
    list.push(item);
  }
  return true;
}

/**
 * Values for CC → a contact body. `contact` is the current snapshot (null for a create);
 * sub-resource arrays start from it so they are sent complete.
 */
export function contactWrite(
  values: Readonly<Record<string, FieldValue>>,
  fields: readonly CompiledField[],
  contact: ContactSnapshot | null,
  email?: string,
): WriteResult<ContactWrite> {
  const body: ContactWrite = {};
  const written: string[] = [];
  const issues: CoreIssue[] = [];
  const phones = () =>
    (body.phone_numbers ??= (contact?.phone_numbers ?? []).map((p) => ({
      phone_number: p.phone_number,
      kind: p.kind ?? 'other',
    })));
  const addresses = () =>
    (body.street_addresses ??= (contact?.street_addresses ?? []).map((a) => ({
      kind: a.kind ?? 'other',
      street: a.street ?? null,
      city: a.city ?? null,
      state: a.state ?? null,
      postal_code: a.postal_code ?? null,
      country: a.country ?? null,
    })));
  const customs = () =>
    (body.custom_fields ??= (contact?.custom_fields ?? []).flatMap((c) =>
      c.value == null ? [] : [{ custom_field_id: c.custom_field_id, value: c.value }],
    ));

  for (const field of fields) {
    if (!(field.id in values)) continue;
    const value = values[field.id] ?? null;
    const ref = field.cc;
    let fits = true;
    switch (ref.kind) {
      case 'standard':
        // created_at / updated_at are read-only; validateMapping never lets a row write them.
        if (ref.field !== 'created_at' && ref.field !== 'updated_at') body[ref.field] = value;
        break;
      case 'birthday':
        Object.assign(body, birthdayToParts(value));
        break;
      case 'phone':
        fits = setItem(
          phones(),
          (p) => p.kind === ref.phoneKind,
          value === null ? null : { phone_number: value, kind: ref.phoneKind },
          ccLimits.phonesPerContact,
        );
        break;
      case 'address':
        fits = setItem(
          addresses(),
          (a) => a.kind === ref.addressKind,
          value === null ? null : { kind: ref.addressKind, ...addressParts(value) },
          ccLimits.addressesPerContact,
        );
        break;
      case 'custom':
        fits = setItem(
          customs(),
          (c) => c.custom_field_id === ref.customFieldId,
          value === null ? null : { custom_field_id: ref.customFieldId, value },
          ccLimits.customFieldsPerContact,
        );
        break;
    }
    if (fits) {
      written.push(field.id);
    } else {
      issues.push({ code: 'CC_ITEM_LIMIT', fieldId: field.id, detail: field.ccInfo.label });
    }
  }
  if (email !== undefined) body.email_address = { address: email };
  return { body, written, issues };
}
