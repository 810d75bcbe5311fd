/**
 * Validation of v2 person bodies as the real API does it (reference 4.4, 4.5, 2.6): strict
 * types (no coercion), name or first+last name, contact arrays of objects with at most one
 * primary, option ids for enum/set custom fields, `[]` rejected for set fields (clear with
 * null), and only the documented body keys (unknown keys rejected by default, 5.1).
 */
import { badRequest } from './api.ts';
import type { ContactValue, FieldDef } from './model.ts';
import type { Behaviour } from './options.ts';
import type { CompanyStore } from './store.ts';

const PERSON_KEYS = new Set([
  'name',
  'first_name',
  'last_name',
  'owner_id',
  'org_id',
  'add_time',
  'emails',
  'phones',
  'visible_to',
  'label_ids',
  'marketing_status',
  'custom_fields',
  'postal_address',
  'notes',
  'im',
  'birthday',
  'job_title',
]);
const MARKETING = ['no_consent', 'unsubscribed', 'subscribed', 'archived'];

export interface PersonPatch {
  name?: string;
  first_name?: string;
  last_name?: string;
  owner_id?: number;
  org_id?: number | null;
  add_time?: number;
  emails?: ContactValue[];
  phones?: ContactValue[];
  visible_to?: number;
  label_ids?: number[];
  marketing_status?: string;
  job_title?: string | null;
  custom_fields?: Record<string, unknown>;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

export function validatePersonBody(
  body: Record<string, unknown>,
  company: CompanyStore,
  behaviour: Behaviour,
  mode: 'create' | 'update',
): PersonPatch {
  const out: PersonPatch = {};
  for (const key of Object.keys(body)) {
    if (!PERSON_KEYS.has(key) && behaviour.unknownKeys === 'reject') {
      throw badRequest(`Unknown field '${key}'`, 'Only documented person fields can be written');
    }
  }
  if (mode === 'update' && 'add_time' in body)
    throw badRequest("Field 'add_time' can only be set on create");
  const str = (key: string, allowEmpty = true): string | undefined => {
    const v = body[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || (!allowEmpty && v.trim() === ''))
      throw badRequest(`Field '${key}' must be a ${allowEmpty ? '' : 'non-empty '}string`);
    return v;
  };
  out.name = str('name', false);
  out.first_name = str('first_name');
  out.last_name = str('last_name');
  const firstLast = out.first_name !== undefined || out.last_name !== undefined;
  if (firstLast && out.name === undefined) {
    if (out.first_name === undefined || out.last_name === undefined) {
      throw badRequest('Both first_name and last_name are required when name is not given');
    }
    if (out.first_name.trim() === '' && out.last_name.trim() === '')
      throw badRequest('first_name and last_name cannot both be empty');
  }
  if (mode === 'create' && out.name === undefined && !firstLast) {
    throw badRequest("Field 'name' is required", 'Send name, or both first_name and last_name');
  }
  if (body.owner_id !== undefined) {
    if (!isInt(body.owner_id)) throw badRequest("Field 'owner_id' must be an integer");
    if (!company.users.has(body.owner_id)) throw badRequest(`User ${body.owner_id} not found`);
    out.owner_id = body.owner_id;
  }
  if (body.org_id !== undefined) {
    if (body.org_id !== null && !isInt(body.org_id))
      throw badRequest("Field 'org_id' must be an integer");
    if (body.org_id !== null && !company.orgs.get(body.org_id))
      throw badRequest(`Organization ${body.org_id} not found`);
    out.org_id = body.org_id;
  }
  if (body.add_time !== undefined) {
    if (typeof body.add_time !== 'string' || Number.isNaN(Date.parse(body.add_time)))
      throw badRequest("Field 'add_time' must be a date-time string");
    out.add_time = Date.parse(body.add_time);
  }
  if (body.emails !== undefined) out.emails = contacts(body.emails, 'emails');
  if (body.phones !== undefined) out.phones = contacts(body.phones, 'phones');
  if (body.visible_to !== undefined) {
    if (!isInt(body.visible_to) || ![1, 3, 5, 7].includes(body.visible_to))
      throw badRequest("Field 'visible_to' must be one of 1, 3, 5, 7");
    out.visible_to = body.visible_to;
  }
  if (body.label_ids !== undefined) {
    const labels = company.personField('label')?.options?.map((o) => o.id) ?? [];
    if (
      !Array.isArray(body.label_ids) ||
      !body.label_ids.every((v) => isInt(v) && labels.includes(v))
    ) {
      throw badRequest("Field 'label_ids' must be an array of label ids");
    }
    out.label_ids = body.label_ids as number[];
  }
  if (body.marketing_status !== undefined) {
    if (typeof body.marketing_status !== 'string' || !MARKETING.includes(body.marketing_status)) {
      throw badRequest(`Field 'marketing_status' must be one of ${MARKETING.join(', ')}`);
    }
    out.marketing_status = body.marketing_status;
  }
  if (body.job_title !== undefined) {
    if (body.job_title !== null && typeof body.job_title !== 'string')
      throw badRequest("Field 'job_title' must be a string");
    out.job_title = body.job_title;
  }
  if (body.custom_fields !== undefined) {
    const cf = body.custom_fields;
    if (!cf || typeof cf !== 'object' || Array.isArray(cf))
      throw badRequest("Field 'custom_fields' must be an object");
    out.custom_fields = {};
    for (const [key, value] of Object.entries(cf)) {
      const field = company.personFields.find((f) => f.key === key && f.custom);
      if (!field) {
        if (behaviour.unknownKeys === 'reject') throw badRequest(`Unknown custom field '${key}'`);
        continue;
      }
      out.custom_fields[key] = customValue(field, value);
    }
  }
  return out;
}

function contacts(value: unknown, key: string): ContactValue[] {
  if (!Array.isArray(value)) throw badRequest(`Field '${key}' must be an array of objects`);
  const out: ContactValue[] = [];
  for (const item of value) {
    if (!item || typeof item !== 'object' || Array.isArray(item))
      throw badRequest(`Field '${key}' must be an array of objects`);
    const { value: v, primary, label } = item as Record<string, unknown>;
    if (typeof v !== 'string' || v.trim() === '')
      throw badRequest(`Each item of '${key}' needs a string 'value'`);
    if (primary !== undefined && typeof primary !== 'boolean')
      throw badRequest(`'primary' in '${key}' must be a boolean`);
    if (label !== undefined && typeof label !== 'string')
      throw badRequest(`'label' in '${key}' must be a string`);
    out.push({ value: v, primary: primary ?? false, label: label ?? 'work' });
  }
  const primaries = out.filter((c) => c.primary).length;
  if (primaries > 1) throw badRequest(`Only one item of '${key}' can be primary`);
  if (primaries === 0 && out[0]) out[0].primary = true;
  return out;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Type rules per field type (reference 4.4); null always clears. */
export function customValue(field: FieldDef, value: unknown): unknown {
  if (value === null) return null;
  const fail = (what: string) =>
    badRequest(`Custom field '${field.key}' (${field.field_type}) must be ${what}`);
  const optionIds = field.options?.map((o) => o.id) ?? [];
  switch (field.field_type) {
    case 'varchar':
    case 'varchar_auto':
    case 'phone':
      if (typeof value !== 'string') throw fail('a string');
      if (value.length > 255) throw fail('at most 255 characters');
      return value;
    case 'text':
      if (typeof value !== 'string') throw fail('a string');
      return value;
    case 'double':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw fail('a number');
      return value;
    case 'enum':
      if (!isInt(value) || !optionIds.includes(value)) throw fail('an option id (number)');
      return value;
    case 'set':
      if (!Array.isArray(value) || value.length === 0)
        throw fail('a non-empty array of option ids; clear it with null');
      if (!value.every((v) => isInt(v) && optionIds.includes(v)))
        throw fail('an array of option ids (numbers)');
      return [...new Set(value as number[])];
    case 'user':
    case 'org':
    case 'people':
      if (!isInt(value)) throw fail('a numeric id');
      return value;
    case 'date':
      if (typeof value !== 'string' || !DATE.test(value)) throw fail('a YYYY-MM-DD string');
      return value;
    case 'monetary': {
      const v = value as Record<string, unknown>;
      if (
        !v ||
        typeof v !== 'object' ||
        typeof v.value !== 'number' ||
        typeof v.currency !== 'string'
      )
        throw fail('{ value: number, currency: string }');
      return { value: v.value, currency: v.currency };
    }
    default:
      if (typeof value !== 'object') throw fail('an object');
      return value;
  }
}

/** v1 name splitting: first word is the first name, the rest the last name (reference 4.5). */
export function splitName(name: string): { first_name: string; last_name: string } {
  const parts = name.trim().split(/\s+/);
  return { first_name: parts[0] ?? '', last_name: parts.slice(1).join(' ') };
}
