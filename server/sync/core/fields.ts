/**
 * Field vocabulary shared by settings validation and the sync core: references to a field on
 * each side, the `FieldInfo` the settings page and the validator read, and pure converters
 * from the two APIs' field-list items (the shell fetches them on "Refresh fields"; no I/O here).
 *
 * Decisions where DESIGN §3 is silent:
 * - Organization fields (the person's organization name and org custom fields) are read-only
 *   towards Pipedrive: one CC contact editing the name of an organization shared by many
 *   persons would surprise the admin, and creating organizations from CC text is guesswork.
 * - Person `name` is read-only: Pipedrive derives it from first/last name (reference 4.5), so
 *   rows write `first_name` / `last_name` instead and two rows can never fight over it.
 * - Email is never a field row: it is always synced (DESIGN §3 "Email is always mapped").
 */

export type Side = 'pipedrive' | 'cc';
export type RowDirection = 'both' | 'to_cc' | 'to_pipedrive';
export type ConnectionDirection = 'two_way' | 'to_cc' | 'to_pipedrive';

/** The value types the sync understands; anything else is `unsupported` and cannot be mapped. */
export type FieldType =
  | 'text'
  | 'phone'
  | 'date'
  | 'birthday'
  | 'number'
  | 'option'
  | 'options'
  | 'address'
  | 'unsupported';

export interface FieldOption {
  id: number;
  label: string;
}

export interface FieldInfo {
  side: Side;
  /** Stable key: `pipedriveKey(ref)` or `ccKey(ref)`. */
  key: string;
  label: string;
  type: FieldType;
  readOnly: boolean;
  /** Pipedrive enum/set options (reference 5.1 `options`). */
  options?: FieldOption[];
  /** CC length limit for values written there (reference CC 4.8). */
  maxLength?: number;
  /** The provider's own type name, for messages about unsupported types. */
  sourceType?: string;
}

export interface PipedriveFieldRef {
  entity: 'person' | 'organization';
  /** System key (`first_name`, `phone`, `birthday`, …) or the 40-hex custom field key. */
  key: string;
}

export const ccStandardKeys = [
  'first_name',
  'last_name',
  'job_title',
  'company_name',
  'anniversary',
  'created_at',
  'updated_at',
] as const;
export type CcStandardKey = (typeof ccStandardKeys)[number];
export const ccPhoneKinds = ['home', 'work', 'mobile', 'other'] as const;
export type CcPhoneKind = (typeof ccPhoneKinds)[number];
export const ccAddressKinds = ['home', 'work', 'other'] as const;
export type CcAddressKind = (typeof ccAddressKinds)[number];

export type CcFieldRef =
  | { kind: 'standard'; field: CcStandardKey }
  | { kind: 'phone'; phoneKind: CcPhoneKind }
  | { kind: 'address'; addressKind: CcAddressKind }
  | { kind: 'birthday' }
  | { kind: 'custom'; customFieldId: string };

export function pipedriveKey(ref: PipedriveFieldRef): string {
  return `${ref.entity}:${ref.key}`;
}

export function ccKey(ref: CcFieldRef): string {
  switch (ref.kind) {
    case 'standard':
      return ref.field;
    case 'phone':
      return `phone:${ref.phoneKind}`;
    case 'address':
      return `address:${ref.addressKind}`;
    case 'birthday':
      return 'birthday';
    case 'custom':
      return `custom:${ref.customFieldId}`;
  }
}

/** A mapping row's stable id: the pair of keys, so stored bases survive row reordering. */
export function rowId(row: { pipedrive: PipedriveFieldRef; cc: CcFieldRef }): string {
  return `${pipedriveKey(row.pipedrive)}|${ccKey(row.cc)}`;
}

/** CC length limits (reference CC 4.4 and 4.8). */
export const ccLimits = {
  name: 50,
  anniversary: 10,
  phone: 25,
  customValue: 255,
  email: 80,
  street: 255,
  addressPart: 50,
  phonesPerContact: 3,
  addressesPerContact: 3,
  customFieldsPerContact: 25,
} as const;

/** CC contact fields every account has (reference CC 4.4); system timestamps are read-only. */
export function ccStandardFields(): FieldInfo[] {
  const text = (field: CcStandardKey, label: string): FieldInfo => ({
    side: 'cc',
    key: field,
    label,
    type: 'text',
    readOnly: false,
    maxLength: ccLimits.name,
  });
  return [
    text('first_name', 'First name'),
    text('last_name', 'Last name'),
    text('job_title', 'Job title'),
    text('company_name', 'Company name'),
    {
      side: 'cc',
      key: 'anniversary',
      label: 'Anniversary',
      type: 'date',
      readOnly: false,
      maxLength: ccLimits.anniversary,
    },
    { side: 'cc', key: 'created_at', label: 'Created at', type: 'date', readOnly: true },
    { side: 'cc', key: 'updated_at', label: 'Updated at', type: 'date', readOnly: true },
    {
      side: 'cc',
      key: 'birthday',
      label: 'Birthday (month and day)',
      type: 'birthday',
      readOnly: false,
    },
    ...ccPhoneKinds.map(
      (kind): FieldInfo => ({
        side: 'cc',
        key: `phone:${kind}`,
        label: `Phone (${kind})`,
        type: 'phone',
        readOnly: false,
        maxLength: ccLimits.phone,
      }),
    ),
    ...ccAddressKinds.map(
      (kind): FieldInfo => ({
        side: 'cc',
        key: `address:${kind}`,
        label: `Address (${kind})`,
        type: 'address',
        readOnly: false,
      }),
    ),
  ];
}

/** The part of a CC `GET /contact_custom_fields` item we read (reference CC 6). */
export interface CcCustomFieldInput {
  custom_field_id: string;
  label: string;
  type: string;
}

/** CC custom field types → ours; select, boolean and datetime values need choice ids or
 * formats the reference marks UNCONFIRMED (CC 6), so they are not offered. */
const ccCustomTypes: Record<string, FieldType> = {
  string: 'text',
  text_area: 'text',
  date: 'date',
  number: 'number',
  currency: 'number',
};

export function fieldInfoFromCcCustomField(item: CcCustomFieldInput): FieldInfo {
  return {
    side: 'cc',
    key: `custom:${item.custom_field_id}`,
    label: item.label,
    type: ccCustomTypes[item.type] ?? 'unsupported',
    readOnly: false,
    maxLength: ccLimits.customValue,
    sourceType: item.type,
  };
}

/** The part of a v1 `GET /v1/personFields` / `organizationFields` item we read (reference 5.1). */
export interface PipedriveFieldInput {
  key: string;
  name: string;
  field_type: string;
  /** true = custom field. */
  edit_flag?: boolean;
  options?: { id: number | string; label: string }[] | null;
}

const pipedriveTypes: Record<string, FieldType> = {
  varchar: 'text',
  varchar_auto: 'text',
  text: 'text',
  phone: 'phone',
  date: 'date',
  double: 'number',
  int: 'number',
  enum: 'option',
  set: 'options',
  address: 'address',
};

/** System person keys the v2 API writes (reference 4.5) and this app maps. */
/**
 * System person keys the core can read from a v2 Person (reference 4.3); other system fields
 * (label, org_id, owner_id, visible_to, the counts…) are offered as unsupported.
 */
export const readablePersonSystemKeys = new Set([
  'name',
  'first_name',
  'last_name',
  'phone',
  'job_title',
  'birthday',
  'postal_address',
  'notes',
  'add_time',
  'update_time',
]);

const writablePersonSystemKeys = new Set([
  'first_name',
  'last_name',
  'job_title',
  'birthday',
  'postal_address',
  'phone',
  'notes',
]);

/**
 * A Pipedrive field list item → FieldInfo, or null for email (always synced, never a row).
 * v1 has no read-only flag (reference 5.1), so a system field counts as writable only if the
 * v2 body takes it (reference 4.5).
 */
export function fieldInfoFromPipedriveField(
  item: PipedriveFieldInput,
  entity: PipedriveFieldRef['entity'],
): FieldInfo | null {
  if (entity === 'person' && item.key === 'email') return null;
  const custom = item.edit_flag === true;
  const readable =
    custom || (entity === 'person' ? readablePersonSystemKeys.has(item.key) : item.key === 'name');
  let type = readable ? (pipedriveTypes[item.field_type] ?? 'unsupported') : 'unsupported';
  // Organization name is the org's own `name`; on the person it is an `org` reference.
  if (entity === 'organization' && item.key === 'name') type = 'text';
  const writable = entity === 'person' && (custom || writablePersonSystemKeys.has(item.key));
  const info: FieldInfo = {
    side: 'pipedrive',
    key: pipedriveKey({ entity, key: item.key }),
    label: entity === 'organization' ? `Organization: ${item.name}` : item.name,
    type,
    readOnly: !writable,
    sourceType: item.field_type,
  };
  if (item.options) {
    info.options = item.options.map((o) => ({ id: Number(o.id), label: o.label }));
  }
  return info;
}

/**
 * Whether a value of type `from` can be written into a field of type `to`. Text takes any
 * scalar as text; options take text by label (DESIGN §3 "Option fields"); a birthday carries
 * month and day only, so it pairs with dates (normalise.ts explains the year).
 */
export function typesCompatible(from: FieldType, to: FieldType): boolean {
  if (from === 'unsupported' || to === 'unsupported') return false;
  switch (to) {
    case 'text':
      return from !== 'address' && from !== 'birthday';
    case 'phone':
      return from === 'phone' || from === 'text';
    case 'date':
    case 'birthday':
      return from === 'date' || from === 'birthday';
    case 'number':
      return from === 'number';
    case 'option':
    case 'options':
      return from === 'text' || from === 'option' || from === 'options';
    case 'address':
      return from === 'address';
  }
}

/** How the two sides' values of a row are compared once normalised. */
export type ValueKind =
  | 'text'
  | 'name'
  | 'phone'
  | 'date'
  | 'birthday'
  | 'number'
  | 'option'
  | 'options'
  | 'address';

export function valueKind(pipedrive: FieldInfo, cc: FieldInfo): ValueKind {
  if (pipedrive.type === 'birthday' || cc.type === 'birthday') return 'birthday';
  if (pipedrive.type === 'option' || pipedrive.type === 'options') return pipedrive.type;
  if (pipedrive.type === 'phone' || cc.type === 'phone') return 'phone';
  if (pipedrive.type === 'address') return 'address';
  if (pipedrive.type === 'date') return 'date';
  if (pipedrive.type === 'number') return 'number';
  if (pipedrive.key === 'person:first_name' || pipedrive.key === 'person:last_name') return 'name';
  return 'text';
}

/** Row direction narrowed by the connection's direction; null when nothing may flow. */
export function effectiveDirection(
  row: RowDirection,
  connection: ConnectionDirection,
): RowDirection | null {
  if (connection === 'two_way') return row;
  if (connection === 'to_cc') return row === 'to_pipedrive' ? null : 'to_cc';
  return row === 'to_cc' ? null : 'to_pipedrive';
}

export function writesCc(direction: RowDirection): boolean {
  return direction !== 'to_pipedrive';
}

export function writesPipedrive(direction: RowDirection): boolean {
  return direction !== 'to_cc';
}

/** A valid mapping row resolved against the available fields: what the core works from. */
export interface CompiledField {
  /** `rowId(row)`: the key of this row in normalised records and stored bases. */
  id: string;
  pipedrive: PipedriveFieldRef;
  cc: CcFieldRef;
  /** The row's direction narrowed by the connection direction. */
  direction: RowDirection;
  kind: ValueKind;
  pipedriveInfo: FieldInfo;
  ccInfo: FieldInfo;
}
