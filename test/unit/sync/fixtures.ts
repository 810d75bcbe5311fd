/**
 * Field lists shaped like the two APIs' responses (Pipedrive v1 personFields /
 * organizationFields items, CC contact_custom_fields items), converted with the real helpers,
 * and small builders for snapshots and mapping rows. Shared by the sync unit tests.
 */
import type {
  CcFieldRef,
  CompiledField,
  PipedriveFieldRef,
} from '../../../server/sync/core/fields.ts';
import {
  ccStandardFields,
  type FieldInfo,
  fieldInfoFromCcCustomField,
  fieldInfoFromPipedriveField,
} from '../../../server/sync/core/fields.ts';
import type { ContactSnapshot, PersonSnapshot } from '../../../server/sync/core/map.ts';
import {
  type AvailableFields,
  compileMapping,
  type MappingRow,
} from '../../../server/sync/settings.ts';

export const KEY = {
  industry: 'a'.repeat(40),
  tags: 'b'.repeat(40),
  note: 'c'.repeat(40),
  since: 'd'.repeat(40),
  score: 'e'.repeat(40),
  owner: 'f'.repeat(40),
  orgRegion: '1'.repeat(40),
} as const;

export const CF = {
  text: 'cf-text',
  interests: 'cf-interests',
  date: 'cf-date',
  select: 'cf-select',
  number: 'cf-number',
};

const personItems = [
  { key: 'name', name: 'Name', field_type: 'varchar', edit_flag: false },
  { key: 'first_name', name: 'First name', field_type: 'varchar', edit_flag: false },
  { key: 'last_name', name: 'Last name', field_type: 'varchar', edit_flag: false },
  { key: 'email', name: 'Email', field_type: 'varchar', edit_flag: false },
  { key: 'phone', name: 'Phone', field_type: 'phone', edit_flag: false },
  { key: 'job_title', name: 'Job title', field_type: 'varchar', edit_flag: false },
  { key: 'birthday', name: 'Birthday', field_type: 'date', edit_flag: false },
  { key: 'postal_address', name: 'Postal address', field_type: 'address', edit_flag: false },
  { key: 'add_time', name: 'Person created', field_type: 'date', edit_flag: false },
  {
    key: KEY.industry,
    name: 'Industry',
    field_type: 'enum',
    edit_flag: true,
    options: [
      { id: 1, label: 'Mining' },
      { id: '2', label: 'Retail' },
    ],
  },
  {
    key: KEY.tags,
    name: 'Interests',
    field_type: 'set',
    edit_flag: true,
    options: [
      { id: 10, label: 'Golf' },
      { id: 11, label: 'Sailing' },
      { id: 12, label: 'Chess' },
    ],
  },
  { key: KEY.note, name: 'Tagline', field_type: 'varchar', edit_flag: true },
  { key: KEY.since, name: 'Customer since', field_type: 'date', edit_flag: true },
  { key: KEY.score, name: 'Score', field_type: 'double', edit_flag: true },
  { key: KEY.owner, name: 'Account manager', field_type: 'user', edit_flag: true },
];

const orgItems = [
  { key: 'name', name: 'Name', field_type: 'varchar', edit_flag: false },
  { key: KEY.orgRegion, name: 'Region', field_type: 'varchar', edit_flag: true },
];

const ccCustomItems = [
  { custom_field_id: CF.text, label: 'Tagline', type: 'string' },
  { custom_field_id: CF.interests, label: 'Interests', type: 'string' },
  { custom_field_id: CF.date, label: 'Customer since', type: 'date' },
  { custom_field_id: CF.select, label: 'Tier', type: 'single_select' },
  { custom_field_id: CF.number, label: 'Score', type: 'number' },
];

export const available: AvailableFields = {
  pipedrive: [
    ...personItems.map((i) => fieldInfoFromPipedriveField(i, 'person')),
    ...orgItems.map((i) => fieldInfoFromPipedriveField(i, 'organization')),
  ].filter((f): f is FieldInfo => f !== null),
  cc: [...ccStandardFields(), ...ccCustomItems.map(fieldInfoFromCcCustomField)],
};

export const pd = (key: string, entity: PipedriveFieldRef['entity'] = 'person') => ({
  entity,
  key,
});

export function row(
  pipedrive: PipedriveFieldRef,
  cc: CcFieldRef,
  direction: MappingRow['direction'] = 'both',
): MappingRow {
  return { pipedrive, cc, direction };
}

/** The rows most tests use: names, job title, org name → company, phone, industry, interests. */
export const rows = {
  first: row(pd('first_name'), { kind: 'standard', field: 'first_name' }),
  last: row(pd('last_name'), { kind: 'standard', field: 'last_name' }),
  job: row(pd('job_title'), { kind: 'standard', field: 'job_title' }),
  org: row(pd('name', 'organization'), { kind: 'standard', field: 'company_name' }, 'to_cc'),
  phone: row(pd('phone'), { kind: 'phone', phoneKind: 'work' }),
  birthday: row(pd('birthday'), { kind: 'birthday' }),
  industry: row(pd(KEY.industry), { kind: 'custom', customFieldId: CF.text }),
  interests: row(pd(KEY.tags), { kind: 'custom', customFieldId: CF.interests }),
  since: row(pd(KEY.since), { kind: 'custom', customFieldId: CF.date }),
  address: row(pd('postal_address'), { kind: 'address', addressKind: 'home' }),
  score: row(pd(KEY.score), { kind: 'custom', customFieldId: CF.number }),
};

export function compile(
  list: MappingRow[],
  direction: 'two_way' | 'to_cc' | 'to_pipedrive' = 'two_way',
): CompiledField[] {
  const fields = compileMapping(list, available, direction);
  if (fields.length !== list.length) throw new Error('fixture mapping did not compile');
  return fields;
}

export function field(r: MappingRow, direction?: 'two_way' | 'to_cc' | 'to_pipedrive') {
  const [f] = compile([r], direction);
  if (!f) throw new Error('unreachable');
  return f;
}

export function person(over: Partial<PersonSnapshot> = {}): PersonSnapshot {
  return {
    id: 1,
    add_time: '2024-01-01T00:00:00Z',
    first_name: 'Ann',
    last_name: 'Lee',
    emails: [{ value: 'ann@example.com', primary: true, label: 'work' }],
    phones: [],
    custom_fields: {},
    ...over,
  };
}

export function contact(over: Partial<ContactSnapshot> = {}): ContactSnapshot {
  return {
    contact_id: 'c-1',
    email_address: { address: 'ann@example.com', permission_to_send: 'implicit' },
    first_name: 'Ann',
    last_name: 'Lee',
    ...over,
  };
}
