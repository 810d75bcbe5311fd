/**
 * Serialises store records into the response shapes of the SPEC (defs `ContactResource`,
 * `ContactList`, `CustomField`). Without `include`, only the core contact fields come back
 * (§4.2).
 */
import type {
  AccountStore,
  ContactRecord,
  CustomFieldRecord,
  EmailRecord,
  ListRecord,
} from './store.ts';
import { iso, isoDate } from './store.ts';

export type ContactInclude =
  | 'custom_fields'
  | 'list_memberships'
  | 'phone_numbers'
  | 'street_addresses'
  | 'taggings'
  | 'notes';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function emailResource(email: EmailRecord): JsonObject {
  const out: JsonObject = {
    address: email.address,
    permission_to_send: email.permission,
    created_at: iso(email.createdAt),
    updated_at: iso(email.updatedAt),
    confirm_status: email.confirmStatus,
  };
  if (email.optInSource) out.opt_in_source = email.optInSource;
  if (email.optInDate !== undefined) out.opt_in_date = iso(email.optInDate);
  if (email.permission === 'unsubscribed') {
    if (email.optOutSource) out.opt_out_source = email.optOutSource;
    if (email.optOutDate !== undefined) out.opt_out_date = iso(email.optOutDate);
    if (email.optOutReason !== undefined) out.opt_out_reason = email.optOutReason;
  }
  return out;
}

export function contactResource(
  c: ContactRecord,
  include: ReadonlySet<ContactInclude>,
): JsonObject {
  const out: JsonObject = { contact_id: c.contact_id };
  if (c.email) out.email_address = emailResource(c.email);
  if (c.first_name !== undefined) out.first_name = c.first_name;
  if (c.last_name !== undefined) out.last_name = c.last_name;
  if (c.job_title !== undefined) out.job_title = c.job_title;
  if (c.company_name !== undefined) out.company_name = c.company_name;
  if (c.birthday_month !== undefined) out.birthday_month = c.birthday_month;
  if (c.birthday_day !== undefined) out.birthday_day = c.birthday_day;
  if (c.anniversary !== undefined) out.anniversary = c.anniversary;
  out.create_source = c.create_source;
  if (c.update_source) out.update_source = c.update_source;
  out.created_at = iso(c.createdAt);
  out.updated_at = iso(c.updatedAt);
  // §5: deleted_at is a DATE, present only on deleted contacts.
  if (c.deletedAt !== undefined) out.deleted_at = isoDate(c.deletedAt);
  if (include.has('custom_fields')) {
    out.custom_fields = (c.custom_fields ?? []).map((f) => ({
      custom_field_id: f.custom_field_id,
      value: f.value,
    }));
  }
  if (include.has('phone_numbers')) {
    out.phone_numbers = (c.phone_numbers ?? []).map((p) => ({
      phone_number_id: p.phone_number_id,
      phone_number: p.phone_number,
      kind: p.kind,
      created_at: iso(p.createdAt),
      updated_at: iso(p.updatedAt),
    }));
  }
  if (include.has('street_addresses')) {
    out.street_addresses = (c.street_addresses ?? []).map((a) => {
      const addr: JsonObject = { street_address_id: a.street_address_id, kind: a.kind };
      for (const key of ['street', 'city', 'state', 'postal_code', 'country'] as const) {
        const value = a[key];
        if (value !== undefined) addr[key] = value;
      }
      addr.created_at = iso(a.createdAt);
      addr.updated_at = iso(a.updatedAt);
      return addr;
    });
  }
  if (include.has('list_memberships')) out.list_memberships = [...(c.list_memberships ?? [])];
  if (include.has('taggings')) out.taggings = [...(c.taggings ?? [])];
  if (include.has('notes')) {
    out.notes = [...(c.notes ?? [])]
      .sort((a, b) => b.createdAt - a.createdAt)
      .map((n) => ({ note_id: n.note_id, content: n.content, created_at: iso(n.createdAt) }));
  }
  return out;
}

export function listResource(list: ListRecord, membershipCount?: number): JsonObject {
  const out: JsonObject = {
    list_id: list.list_id,
    name: list.name,
    favorite: list.favorite,
    created_at: iso(list.createdAt),
    updated_at: iso(list.updatedAt),
  };
  if (list.description !== undefined) out.description = list.description;
  if (list.deletedAt !== undefined) out.deleted_at = iso(list.deletedAt);
  if (membershipCount !== undefined) out.membership_count = membershipCount;
  return out;
}

export function customFieldResource(field: CustomFieldRecord): JsonObject {
  const out: JsonObject = {
    custom_field_id: field.custom_field_id,
    label: field.label,
    name: field.name,
    type: field.type,
    created_at: iso(field.createdAt),
    updated_at: iso(field.updatedAt),
  };
  if (field.choices) {
    out.choices = field.choices.map((c) => ({
      choice_id: c.choice_id,
      choice_label: c.choice_label,
      display_order: c.display_order,
    }));
  }
  return out;
}

/** Membership counts by list id; one pass over the account (only on request). */
export function membershipCounts(account: AccountStore, activeOnly: boolean): Map<string, number> {
  const counts = new Map<string, number>();
  for (const c of account.order) {
    if (!c.list_memberships || c.deletedAt !== undefined) continue;
    if (activeOnly && c.email?.permission === 'unsubscribed') continue;
    for (const id of c.list_memberships) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}
