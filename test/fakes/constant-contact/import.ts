/**
 * The JSON contact import (§8, SPEC def `JsonImportContact`): existing contacts change only in
 * the fields provided (nothing is blanked), new contacts are `implicit` with
 * `opt_in_source: Account`, unsubscribed contacts are not put back on lists (counted in
 * `cannot_add_to_list_count`), `cf:<name>` columns address custom fields by name.
 * Row errors are free-text strings (§8 Fake: "Line <n>: <reason> (<email>)").
 */
import {
  ccBulkLimits as B,
  ccContactLimits as L,
} from '../../../server/constant-contact/provider.ts';
import { addToLists, createContact } from './contacts.ts';
import type {
  AccountStore,
  ActivityRecord,
  AddressRecord,
  CcStore,
  ContactRecord,
} from './store.ts';

export type ImportRow = Record<string, unknown>;

export interface ImportPayload {
  rows: ImportRow[];
  listIds: string[];
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const NAME_FIELDS = ['first_name', 'last_name', 'job_title', 'company_name'] as const;
const PHONE_COLUMNS: Record<string, string> = {
  phone: 'other',
  home_phone: 'home',
  work_phone: 'work',
  mobile_phone: 'mobile',
  other_phone: 'other',
};
const ADDRESS_PREFIXES: Record<string, string> = {
  '': 'home',
  home_: 'home',
  work_: 'work',
  other_: 'other',
};

/** Keeps the rows that fit under 4 MB; §8: anything past it is dropped without an error. */
export function rowsUnderLimit(rows: ImportRow[]): ImportRow[] {
  let bytes = 0;
  const kept: ImportRow[] = [];
  for (const row of rows) {
    bytes += Buffer.byteLength(JSON.stringify(row)) + 1;
    if (bytes >= B.jsonImportMaxBytes) break;
    kept.push(row);
  }
  return kept;
}

function text(row: ImportRow, key: string): string | undefined {
  const v = row[key];
  if (v === undefined || v === null || v === '') return undefined;
  return String(v);
}

export function runImport(
  store: CcStore,
  account: AccountStore,
  activity: ActivityRecord,
  payload: ImportPayload,
  now: number,
): void {
  const counts = activity.counts;
  Object.assign(counts, {
    items_total_count: payload.rows.length,
    items_completed_count: 0,
    person_count: 0,
    error_count: 0,
    correctable_count: 0,
    cannot_add_to_list_count: 0,
  });
  const fail = (
    line: number,
    reason: string,
    email: string | undefined,
    correctable: boolean,
  ): false => {
    const tail = email ? ` (${email})` : '';
    activity.errors.push(
      store.behaviour.activityErrorFormat === 'line'
        ? `Line ${line}: ${reason}${tail}`
        : `${reason}${tail}`,
    );
    if (correctable) counts.correctable_count = (counts.correctable_count ?? 0) + 1;
    else counts.error_count = (counts.error_count ?? 0) + 1;
    return false;
  };

  for (const [index, row] of payload.rows.entries()) {
    const line = index + 1;
    importRow(line, row);
  }

  /** Returns whether the row was imported. */
  function importRow(line: number, row: ImportRow): boolean {
    counts.items_completed_count = (counts.items_completed_count ?? 0) + 1;
    const email = text(row, 'email');
    if (email === undefined) return fail(line, 'No email address', undefined, true);
    if (email.length > B.jsonImportEmailMaxLength || !EMAIL.test(email.trim())) {
      return fail(line, 'Invalid email address', email, true);
    }
    const month = row.birthday_month === undefined ? undefined : Number(row.birthday_month);
    const day = row.birthday_day === undefined ? undefined : Number(row.birthday_day);
    if (
      (month !== undefined && !(month >= 1 && month <= 12)) ||
      (day !== undefined && !(day >= 1 && day <= 31))
    ) {
      return fail(line, 'Invalid birthday', email, true);
    }
    for (const key of NAME_FIELDS) {
      const v = text(row, key);
      if (v !== undefined && v.length > L.nameMaxLength)
        return fail(line, `Invalid ${key}`, email, true);
    }
    const customValues: Array<{ custom_field_id: string; value: string }> = [];
    for (const [key, value] of Object.entries(row)) {
      if (!key.startsWith(B.customFieldColumnPrefix)) continue;
      const field = account.customFieldByName(key.slice(B.customFieldColumnPrefix.length));
      if (!field) return fail(line, `Unknown custom field ${key}`, email, false);
      const v = String(value ?? '');
      if (v.length > L.customFieldValueMaxLength)
        return fail(line, `Invalid value for ${key}`, email, true);
      customValues.push({ custom_field_id: field.custom_field_id, value: v });
    }
    if (customValues.length > L.customFieldValuesMax) {
      return fail(line, 'Too many custom fields', email, true);
    }

    let contact = account.findByEmail(email);
    if (!contact) {
      contact = createContact(
        store,
        account,
        { create_source: 'Account', email: { address: email.trim(), permission: 'implicit' } },
        now,
      );
    }
    applyRow(store, contact, row, customValues, now, month, day);
    counts.person_count = (counts.person_count ?? 0) + 1;
    if (contact.email?.permission === 'unsubscribed') {
      // §4.7: an import never re-subscribes or re-lists an opted-out contact.
      counts.cannot_add_to_list_count = (counts.cannot_add_to_list_count ?? 0) + 1;
      return true;
    }
    if (!addToLists(contact, payload.listIds, now)) {
      return fail(line, 'Contact would exceed 50 list memberships', email, false);
    }
    return true;
  }
}

/** Existing contacts: only the provided fields change (§8). */
function applyRow(
  store: CcStore,
  contact: ContactRecord,
  row: ImportRow,
  customValues: Array<{ custom_field_id: string; value: string }>,
  now: number,
  month: number | undefined,
  day: number | undefined,
): void {
  for (const key of NAME_FIELDS) {
    const v = text(row, key);
    if (v !== undefined) contact[key] = v;
  }
  if (month !== undefined && day !== undefined) {
    contact.birthday_month = month;
    contact.birthday_day = day;
  }
  const anniversary = text(row, 'anniversary');
  if (anniversary !== undefined) contact.anniversary = anniversary.slice(0, L.anniversaryMaxLength);
  if (customValues.length > 0) {
    const byId = new Map((contact.custom_fields ?? []).map((f) => [f.custom_field_id, f.value]));
    for (const f of customValues) byId.set(f.custom_field_id, f.value);
    contact.custom_fields = [...byId].map(([custom_field_id, value]) => ({
      custom_field_id,
      value,
    }));
  }
  for (const [column, kind] of Object.entries(PHONE_COLUMNS)) {
    const number = text(row, column);
    if (number === undefined) continue;
    const phones = (contact.phone_numbers ?? []).filter((p) => p.kind !== kind);
    phones.push({
      phone_number_id: store.uuid(),
      phone_number: number.slice(0, L.phoneNumberMaxLength),
      kind,
      createdAt: now,
      updatedAt: now,
    });
    contact.phone_numbers = phones.slice(-L.phonesMax);
  }
  for (const [prefix, kind] of Object.entries(ADDRESS_PREFIXES)) {
    const parts = {
      street: text(row, `${prefix}street`),
      city: text(row, `${prefix}city`),
      state: text(row, `${prefix}state`),
      postal_code: text(row, `${prefix}zip`),
      country: text(row, `${prefix}country`),
    };
    if (Object.values(parts).every((v) => v === undefined)) continue;
    const street2 = text(row, `${prefix}street2`);
    const address: AddressRecord = {
      street_address_id: store.uuid(),
      kind,
      ...parts,
      street: street2 && parts.street ? `${parts.street} ${street2}` : parts.street,
      createdAt: now,
      updatedAt: now,
    };
    const others = (contact.street_addresses ?? []).filter((a) => a.kind !== kind);
    contact.street_addresses = [...others, address].slice(-L.addressesMax);
  }
  contact.update_source = 'Account';
  contact.updatedAt = now;
}
