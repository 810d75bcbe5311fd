/**
 * Validation of contact request bodies (SPEC defs `ContactPostRequest`, `ContactPutRequest`,
 * `ContactCreateOrUpdateInput`) with the limits of §4.4/§4.8. Every problem becomes one item of
 * a 400 `contacts.api.validation.error` array, the way CC lists several problems at once.
 */
import { ccContactLimits as L } from '../../../server/constant-contact/provider.ts';
import type { Behaviour } from './behaviour.ts';
import { validationError } from './errors.ts';
import type { AccountStore, Permission, Source } from './store.ts';

export type Body = Record<string, unknown>;

export interface PhoneInput {
  phone_number: string;
  kind: string;
}
export interface AddressInput {
  kind: string;
  street?: string;
  city?: string;
  state?: string;
  postal_code?: string;
  country?: string;
}
export interface CustomFieldInput {
  custom_field_id: string;
  value: string;
}

/** Top-level scalar fields a PUT blanks when they are left out (§4.5). */
export const SCALAR_FIELDS = [
  'first_name',
  'last_name',
  'job_title',
  'company_name',
  'birthday_month',
  'birthday_day',
  'anniversary',
] as const;

export interface ContactInput {
  first_name?: string;
  last_name?: string;
  job_title?: string;
  company_name?: string;
  birthday_month?: number;
  birthday_day?: number;
  anniversary?: string;
  email?: { address: string; permission?: Permission; optOutReason?: string };
  create_source?: Source;
  update_source?: Source;
  custom_fields?: CustomFieldInput[];
  phone_numbers?: PhoneInput[];
  street_addresses?: AddressInput[];
  list_memberships?: string[];
  taggings?: string[];
  notes?: string[];
}

const ANNIVERSARY =
  /^(\d{1,2}\/\d{1,2}\/\d{4}|\d{4}\/\d{1,2}\/\d{1,2}|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}-\d{1,2}-\d{4})$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function asBody(body: unknown): Body {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw validationError(['Request body must be a JSON object.']);
  }
  return body as Body;
}

/** Collects problems for one request body. */
export class Checker {
  readonly errors: string[] = [];

  constructor(readonly body: Body) {}

  fail(message: string): void {
    this.errors.push(message);
  }

  throwIfAny(): void {
    if (this.errors.length > 0) throw validationError(this.errors);
  }

  str(key: string, max: number, from: Body = this.body, label = key): string | undefined {
    const value = from[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') {
      this.fail(`${label} must be a string.`);
      return undefined;
    }
    if (value.length > max) this.fail(`${label} exceeds the maximum length of ${max}.`);
    return value;
  }

  int(key: string, min: number, max: number, from: Body = this.body): number | undefined {
    const value = from[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(`${key} does not have a valid value.`);
      return undefined;
    }
    return value;
  }

  oneOf<T extends string>(
    key: string,
    allowed: readonly T[],
    from: Body = this.body,
    label = key,
  ): T | undefined {
    const value = from[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' || !allowed.includes(value as T)) {
      this.fail(`${label} does not have a valid value.`);
      return undefined;
    }
    return value as T;
  }

  array(key: string, max: number, from: Body = this.body): unknown[] | undefined {
    const value = from[key];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) {
      this.fail(`${key} must be an array.`);
      return undefined;
    }
    if (value.length > max) this.fail(`${key} exceeds the maximum of ${max} items.`);
    return value;
  }

  object(value: unknown, label: string): Body | undefined {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.fail(`${label} must be an object.`);
      return undefined;
    }
    return value as Body;
  }

  /** Birthday pair rule (§4.4) and anniversary formats. */
  dates(out: ContactInput): void {
    out.birthday_month = this.int('birthday_month', 1, 12);
    out.birthday_day = this.int('birthday_day', 1, 31);
    if ((out.birthday_month === undefined) !== (out.birthday_day === undefined)) {
      this.fail('birthday_month and birthday_day must be sent together.');
    }
    out.anniversary = this.str('anniversary', L.anniversaryMaxLength);
    if (out.anniversary !== undefined && !ANNIVERSARY.test(out.anniversary)) {
      this.fail('anniversary does not have a valid value.');
    }
  }

  names(out: ContactInput): void {
    out.first_name = this.str('first_name', L.nameMaxLength);
    out.last_name = this.str('last_name', L.nameMaxLength);
    out.job_title = this.str('job_title', L.nameMaxLength);
    out.company_name = this.str('company_name', L.nameMaxLength);
  }

  emailAddress(address: string | undefined, max: number, label: string): string | undefined {
    if (address === undefined) return undefined;
    if (address.length > max) return undefined;
    if (!EMAIL.test(address.trim())) {
      this.fail(`${label} is not a valid email address.`);
      return undefined;
    }
    return address.trim();
  }

  customFields(
    items: unknown[] | undefined,
    account: AccountStore,
    behaviour: Behaviour,
  ): CustomFieldInput[] | undefined {
    if (!items) return undefined;
    const out: CustomFieldInput[] = [];
    for (const [i, item] of items.entries()) {
      const o = this.object(item, `custom_fields[${i}]`);
      if (!o) continue;
      const id = this.str('custom_field_id', 36, o, `custom_fields[${i}].custom_field_id`);
      const value = this.str('value', L.customFieldValueMaxLength, o, `custom_fields[${i}].value`);
      const field = id === undefined ? undefined : account.customFields.get(id);
      if (!field) {
        this.fail(`custom_fields[${i}].custom_field_id ${id ?? ''} does not exist.`);
        continue;
      }
      if (behaviour.strictCustomFieldValues && value !== undefined) {
        const bad =
          (field.type === 'date' && !/^\d{4}-\d{2}-\d{2}$/.test(value)) ||
          ((field.type === 'number' || field.type === 'currency') &&
            !/^-?\d+(\.\d+)?$/.test(value)) ||
          (field.type === 'boolean' && value !== 'true' && value !== 'false');
        if (bad) this.fail(`custom_fields[${i}].value is not a valid ${field.type}.`);
      }
      out.push({ custom_field_id: field.custom_field_id, value: value ?? '' });
    }
    return out;
  }

  phones(items: unknown[] | undefined): PhoneInput[] | undefined {
    if (!items) return undefined;
    const out: PhoneInput[] = [];
    for (const [i, item] of items.entries()) {
      const o = this.object(item, `phone_numbers[${i}]`);
      if (!o) continue;
      const number = this.str(
        'phone_number',
        L.phoneNumberMaxLength,
        o,
        `phone_numbers[${i}].phone_number`,
      );
      const kind = this.oneOf('kind', L.phoneKinds, o, `phone_numbers[${i}].kind`) ?? 'other';
      if (number === undefined) this.fail(`phone_numbers[${i}].phone_number is required.`);
      else out.push({ phone_number: number, kind });
    }
    return out;
  }

  addresses(items: unknown[] | undefined): AddressInput[] | undefined {
    if (!items) return undefined;
    const out: AddressInput[] = [];
    for (const [i, item] of items.entries()) {
      const o = this.object(item, `street_addresses[${i}]`);
      if (o) {
        const address = this.address(o, `street_addresses[${i}]`);
        if (address) out.push(address);
      }
    }
    return out;
  }

  address(o: Body, label: string): AddressInput | undefined {
    const kind = this.oneOf('kind', L.addressKinds, o, `${label}.kind`);
    if (kind === undefined) {
      if (o.kind === undefined) this.fail(`${label}.kind is required.`);
      return undefined;
    }
    const out: AddressInput = { kind };
    out.street = this.str('street', L.streetMaxLength, o, `${label}.street`);
    for (const key of ['city', 'state', 'postal_code', 'country'] as const) {
      out[key] = this.str(key, L.addressPartMaxLength, o, `${label}.${key}`);
    }
    return out;
  }

  listIds(
    items: unknown[] | undefined,
    account: AccountStore,
    label: string,
  ): string[] | undefined {
    if (!items) return undefined;
    const out: string[] = [];
    for (const id of items) {
      const list = typeof id === 'string' ? account.lists.get(id) : undefined;
      if (!list || list.deletedAt !== undefined)
        this.fail(`${label} ${String(id)} does not exist.`);
      else if (!out.includes(id as string)) out.push(id as string);
    }
    return out;
  }

  tagIds(items: unknown[] | undefined, account: AccountStore, label: string): string[] | undefined {
    if (!items) return undefined;
    const out: string[] = [];
    for (const id of items) {
      if (typeof id !== 'string' || !account.tags.has(id))
        this.fail(`${label} ${String(id)} does not exist.`);
      else if (!out.includes(id)) out.push(id);
    }
    return out;
  }

  strings(items: unknown[] | undefined, label: string, max: number): string[] | undefined {
    if (!items) return undefined;
    const out: string[] = [];
    for (const item of items) {
      if (typeof item !== 'string' || item.length > max) this.fail(`${label} has an invalid item.`);
      else out.push(item);
    }
    return out;
  }
}

/** `POST /contacts` and `PUT /contacts/{id}` bodies share their shape (§4.5). */
export function parseContactBody(
  raw: unknown,
  mode: 'post' | 'put',
  account: AccountStore,
  behaviour: Behaviour,
): ContactInput {
  const check = new Checker(asBody(raw));
  const b = check.body;
  const out: ContactInput = {};
  check.names(out);
  check.dates(out);
  if (mode === 'post') {
    out.create_source = check.oneOf('create_source', L.sources);
    if (out.create_source === undefined && b.create_source === undefined) {
      check.fail('create_source is missing, create_source does not have a valid value');
    }
  } else {
    out.update_source = check.oneOf('update_source', L.sources);
    if (out.update_source === undefined && b.update_source === undefined) {
      check.fail('update_source is missing, update_source does not have a valid value');
    }
  }
  if (b.email_address !== undefined && b.email_address !== null) {
    const e = check.object(b.email_address, 'email_address');
    if (e) {
      const raw = check.str('address', L.emailMaxLength, e, 'email_address.address');
      if (raw === undefined) check.fail('email_address.address is required.');
      const address = check.emailAddress(raw, L.emailMaxLength, 'email_address.address');
      const permission = check.oneOf(
        'permission_to_send',
        L.permissions,
        e,
        'email_address.permission_to_send',
      );
      const reason = check.str(
        'opt_out_reason',
        L.optOutReasonMaxLength,
        e,
        'email_address.opt_out_reason',
      );
      if (address !== undefined) out.email = { address, permission, optOutReason: reason };
    }
  }
  out.custom_fields = check.customFields(
    check.array('custom_fields', L.customFieldValuesMax),
    account,
    behaviour,
  );
  out.phone_numbers = check.phones(check.array('phone_numbers', L.phonesMax));
  out.street_addresses = check.addresses(check.array('street_addresses', L.addressesMax));
  out.list_memberships = check.listIds(
    check.array('list_memberships', L.listMembershipsMax),
    account,
    'list_memberships',
  );
  out.taggings = check.tagIds(check.array('taggings', L.taggingsMax), account, 'taggings');
  const notes = check.array('notes', L.notesMax);
  if (notes) {
    out.notes = [];
    for (const [i, note] of notes.entries()) {
      const o = check.object(note, `notes[${i}]`);
      const content = o
        ? check.str('content', L.noteMaxLength, o, `notes[${i}].content`)
        : undefined;
      if (content !== undefined) out.notes.push(content);
    }
  }
  if (
    mode === 'post' &&
    out.email === undefined &&
    out.first_name === undefined &&
    out.last_name === undefined &&
    b.sms_channel === undefined &&
    check.errors.length === 0
  ) {
    check.fail('At least one of email_address, first_name, last_name or sms_channel is required.');
  }
  check.throwIfAny();
  return out;
}
