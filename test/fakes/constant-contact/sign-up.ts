/**
 * `POST /contacts/sign_up_form` (§4.5, §4.6): the flat create-or-update body and its effect.
 * It claims the person's consent, so it is the wrong tool for a CRM sync; it is modelled so the
 * app's tests can show it is never used for that (and for forms that really are sign-ups).
 */
import { ccContactLimits as L } from '../../../server/constant-contact/provider.ts';
import type { Behaviour } from './behaviour.ts';
import {
  type AddressInput,
  asBody,
  Checker,
  type ContactInput,
  type CustomFieldInput,
  SCALAR_FIELDS,
} from './contact-input.ts';
import {
  addressRecords,
  checkMax,
  createContact,
  mergeCustomFields,
  phoneRecords,
  setScalar,
  union,
} from './contacts.ts';
import type { AccountStore, CcStore, ContactRecord, Permission } from './store.ts';

export interface SignUpInput {
  email: string;
  fields: ContactInput;
  phone?: string;
  address?: AddressInput;
  custom_fields: CustomFieldInput[];
  list_memberships: string[];
}

/** `POST /contacts/sign_up_form` (SPEC def `ContactCreateOrUpdateInput`, §4.5). */
export function parseSignUpBody(
  raw: unknown,
  account: AccountStore,
  behaviour: Behaviour,
): SignUpInput {
  const check = new Checker(asBody(raw));
  const b = check.body;
  const fields: ContactInput = {};
  check.names(fields);
  check.dates(fields);
  for (const key of ['create_source', 'permission_to_send'] as const) {
    if (b[key] !== undefined) check.fail(`${key} is not accepted by sign_up_form.`);
  }
  const raw50 = check.str('email_address', L.signUpFormEmailMaxLength, b, 'email_address');
  const email = check.emailAddress(raw50, L.signUpFormEmailMaxLength, 'email_address');
  if (raw50 === undefined) check.fail('email_address is required.');
  const phone = check.str('phone_number', L.phoneNumberMaxLength);
  const addressBody =
    b.street_address === undefined ? undefined : check.object(b.street_address, 'street_address');
  const address = addressBody ? check.address(addressBody, 'street_address') : undefined;
  const customFields =
    check.customFields(
      check.array('custom_fields', L.signUpFormCustomFieldValuesMax),
      account,
      behaviour,
    ) ?? [];
  const lists = check.listIds(
    check.array('list_memberships', L.listMembershipsMax),
    account,
    'list_memberships',
  );
  if (!lists || lists.length === 0) check.fail('list_memberships must contain at least one list.');
  check.throwIfAny();
  return {
    email: email ?? '',
    fields,
    phone,
    address,
    custom_fields: customFields,
    list_memberships: lists ?? [],
  };
}

/** `POST /contacts/sign_up_form` (§4.6): upsert by email; lists and custom fields only grow. */
export function signUp(
  store: CcStore,
  account: AccountStore,
  input: SignUpInput,
  now: number,
): { contact: ContactRecord; created: boolean } {
  const existing = account.findByEmail(input.email);
  if (!existing) {
    const permission: Permission = account.confirmedOptIn ? 'pending_confirmation' : 'explicit';
    const contact = createContact(
      store,
      account,
      {
        ...input.fields,
        create_source: 'Contact',
        email: { address: input.email, permission },
        custom_fields: input.custom_fields,
        list_memberships: input.list_memberships,
        phone_numbers: input.phone ? [{ phone_number: input.phone, kind: 'other' }] : undefined,
        street_addresses: input.address ? [input.address] : undefined,
      },
      now,
    );
    return { contact, created: true };
  }
  const contact = existing;
  const lists = union(
    contact.deletedAt === undefined ? contact.list_memberships : [],
    input.list_memberships,
  );
  checkMax(lists.length, L.listMembershipsMax, 'list_memberships');
  const customFields = mergeCustomFields(contact.custom_fields, input.custom_fields);
  checkMax(customFields.length, L.customFieldValuesMax, 'custom_fields');
  // Partial update: only the fields sent change.
  for (const key of SCALAR_FIELDS) {
    const value = input.fields[key];
    if (value !== undefined) setScalar(contact, key, value);
  }
  contact.list_memberships = lists;
  contact.custom_fields = customFields;
  if (input.phone && !(contact.phone_numbers ?? []).some((p) => p.phone_number === input.phone)) {
    const phones = [
      ...(contact.phone_numbers ?? []),
      ...phoneRecords(store, [{ phone_number: input.phone, kind: 'other' }], now),
    ];
    contact.phone_numbers = phones.slice(-L.phonesMax);
  }
  if (input.address) {
    const others = (contact.street_addresses ?? []).filter((a) => a.kind !== input.address?.kind);
    contact.street_addresses = [...others, ...addressRecords(store, [input.address], now)].slice(
      -L.addressesMax,
    );
  }
  // §4.6: an existing contact becomes explicit, even an unsubscribed one.
  const email = contact.email;
  if (email && email.permission !== 'explicit') {
    email.permission = 'explicit';
    email.optInSource = 'Contact';
    email.optInDate = now;
    email.updatedAt = now;
    delete email.optOutDate;
    delete email.optOutSource;
    delete email.optOutReason;
  }
  contact.update_source = 'Contact';
  contact.updatedAt = now;
  delete contact.deletedAt;
  return { contact, created: false };
}
