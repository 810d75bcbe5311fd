/**
 * Contact exports (§8): `POST /activities/contact_exports` selects contacts (by ids, lists,
 * tags, or all) and a `status` (`active`, `unsubscribed`, `removed`), and the finished activity
 * links to `GET /contact_exports/{id}`, a CSV. Header strings are UNCONFIRMED: the fake uses the
 * requested `fields` names, custom fields by their `name` prefixed with `cf:`, and leaves
 * `contact_id` out unless `behaviour.exportContactId` is on. The app should prefer GET /contacts.
 */
import type { ContactSource } from './activities.ts';
import type { AccountStore, ContactRecord } from './store.ts';
import { iso } from './store.ts';

export const EXPORT_FIELDS = [
  'email_address',
  'first_name',
  'last_name',
  'job_title',
  'company_name',
  'phone_number',
  'street',
  'city',
  'state',
  'zip',
  'country',
  'anniversary',
  'birthday_month',
  'birthday_day',
  'email_lists',
  'created_at',
  'updated_at',
  'email_optin_source',
  'email_optin_date',
  'email_optout_source',
  'email_optout_date',
  'email_optout_reason',
] as const;
export type ExportField = (typeof EXPORT_FIELDS)[number];

export interface ExportPayload {
  source: ContactSource;
  /** All contacts (not deleted) when no source is given. */
  all: boolean;
  status?: 'active' | 'unsubscribed' | 'removed';
  fields: ExportField[];
}

export function exportContacts(
  account: AccountStore,
  payload: ExportPayload,
  resolve: (source: ContactSource) => ContactRecord[],
): ContactRecord[] {
  const base = payload.all ? account.order : resolve(payload.source);
  const excluded = new Set(payload.source.exclude ?? []);
  return base.filter((c) => {
    if (excluded.has(c.contact_id)) return false;
    if (payload.status === 'removed') return c.deletedAt !== undefined;
    if (c.deletedAt !== undefined) return false;
    if (payload.status === 'unsubscribed') return c.email?.permission === 'unsubscribed';
    if (payload.status === 'active') return c.email?.permission !== 'unsubscribed';
    return true;
  });
}

function cell(value: string | number | undefined): string {
  if (value === undefined) return '';
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function fieldValue(
  account: AccountStore,
  c: ContactRecord,
  field: ExportField,
): string | number | undefined {
  const address = c.street_addresses?.[0];
  const e = c.email;
  switch (field) {
    case 'email_address':
      return e?.address;
    case 'phone_number':
      return c.phone_numbers?.[0]?.phone_number;
    case 'street':
    case 'city':
    case 'state':
    case 'country':
      return address?.[field];
    case 'zip':
      return address?.postal_code;
    case 'email_lists':
      return (c.list_memberships ?? []).map((id) => account.lists.get(id)?.name ?? id).join(';');
    case 'created_at':
      return iso(c.createdAt);
    case 'updated_at':
      return iso(c.updatedAt);
    case 'email_optin_source':
      return e?.optInSource;
    case 'email_optin_date':
      return e?.optInDate === undefined ? undefined : iso(e.optInDate);
    case 'email_optout_source':
      return e?.optOutSource;
    case 'email_optout_date':
      return e?.optOutDate === undefined ? undefined : iso(e.optOutDate);
    case 'email_optout_reason':
      return e?.optOutReason;
    default:
      return c[field];
  }
}

export function exportCsv(
  account: AccountStore,
  contacts: ContactRecord[],
  fields: ExportField[],
  withContactId: boolean,
): string {
  // §8: custom fields are included by default.
  const custom = [...account.customFields.values()];
  const header = [
    ...(withContactId ? ['contact_id'] : []),
    ...fields,
    ...custom.map((f) => `cf:${f.name}`),
  ];
  const rows = contacts.map((c) => {
    const values = new Map((c.custom_fields ?? []).map((v) => [v.custom_field_id, v.value]));
    return [
      ...(withContactId ? [c.contact_id] : []),
      ...fields.map((f) => fieldValue(account, c, f)),
      ...custom.map((f) => values.get(f.custom_field_id)),
    ]
      .map(cell)
      .join(',');
  });
  return `${[header.join(','), ...rows].join('\n')}\n`;
}
