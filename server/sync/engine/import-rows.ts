/**
 * A contact body from the core → one row of CC's JSON import (constant-contact-api.md §8,
 * SPEC `JsonImportContact`): flat columns, phones and addresses by kind prefix, custom fields
 * by name as `cf:<name>`. The import never blanks a field, which is what the initial sync
 * wants (an empty value never overwrites a non-empty one there).
 */
import type { ContactWrite } from '../core/map-write.ts';

const ADDRESS_COLUMNS: Record<string, string> = {
  street: 'street',
  city: 'city',
  state: 'state',
  postal_code: 'zip',
  country: 'country',
};

export function importRow(
  email: string,
  body: ContactWrite,
  customFieldNames: ReadonlyMap<string, string>,
): Record<string, string | number> {
  const row: Record<string, string | number> = { email };
  for (const key of [
    'first_name',
    'last_name',
    'job_title',
    'company_name',
    'anniversary',
  ] as const) {
    const value = body[key];
    if (value) row[key] = value;
  }
  if (body.birthday_month && body.birthday_day) {
    row.birthday_month = body.birthday_month;
    row.birthday_day = body.birthday_day;
  }
  for (const phone of body.phone_numbers ?? []) row[`${phone.kind}_phone`] = phone.phone_number;
  for (const address of body.street_addresses ?? []) {
    for (const [field, column] of Object.entries(ADDRESS_COLUMNS)) {
      const value = address[field];
      if (value) row[`${address.kind}_${column}`] = value;
    }
  }
  for (const field of body.custom_fields ?? []) {
    const name = customFieldNames.get(field.custom_field_id);
    if (name && field.value) row[`cf:${name}`] = field.value;
  }
  return row;
}
