/**
 * Renders stored records into Pipedrive's wire shapes: v2 (RFC 3339 times, typed ids,
 * `custom_fields` object) and v1 (`YYYY-MM-DD HH:MM:SS` UTC, object-valued owner/org, flat
 * custom keys). Reference 2.6, 4.3, 4.8, 5.1, 5.2, 6, 7.1, 8.
 */
import type {
  Company,
  ContactValue,
  FieldDef,
  Filter,
  Organization,
  Person,
  User,
  Webhook,
} from './model.ts';
import type { CompanyStore } from './store.ts';

/**
 * v2 times: RFC 3339 without milliseconds, as in the spec examples (reference 2.6). Formatted
 * by hand with a per-day cache because list pages format two times per person and
 * `Date#toISOString` dominated their cost.
 */
const dayCache = new Map<number, string>();
const two = (n: number) => (n < 10 ? `0${n}` : String(n));
export function isoTime(ms: number): string {
  const day = Math.floor(ms / 86_400_000);
  let date = dayCache.get(day);
  if (date === undefined) {
    date = new Date(day * 86_400_000).toISOString().slice(0, 10);
    if (dayCache.size > 50_000) dayCache.clear();
    dayCache.set(day, date);
  }
  const secs = Math.floor((ms - day * 86_400_000) / 1000);
  return `${date}T${two(Math.floor(secs / 3600))}:${two(Math.floor(secs / 60) % 60)}:${two(secs % 60)}Z`;
}

/** v1 times: `YYYY-MM-DD HH:MM:SS` in UTC (reference 2.6). */
export function v1Time(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

export interface PersonRenderOptions {
  /** Only these custom keys (the `custom_fields` query parameter); all when undefined. */
  customKeys?: readonly string[];
  includeOptionLabels?: boolean;
  /** UNCONFIRMED 4.3: emit every defined custom key with null instead of leaving unset keys out. */
  unsetAsNull?: boolean;
  includeFields?: readonly string[];
}

export function renderCustomFields(
  values: Record<string, unknown>,
  fields: readonly FieldDef[],
  opts: PersonRenderOptions,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    if (!f.custom || !f.active) continue;
    if (opts.customKeys && !opts.customKeys.includes(f.key)) continue;
    const value = values[f.key];
    if (value === undefined || value === null) {
      if (opts.unsetAsNull) out[f.key] = null;
      continue;
    }
    if (opts.includeOptionLabels && f.options) {
      const label = (id: unknown) => ({
        id,
        label: f.options?.find((o) => o.id === id)?.label ?? null,
      });
      if (f.field_type === 'enum') {
        out[f.key] = label(value);
        continue;
      }
      if (f.field_type === 'set' && Array.isArray(value)) {
        out[f.key] = value.map(label);
        continue;
      }
    }
    out[f.key] = value;
  }
  return out;
}

/**
 * The v2 person as JSON text. List pages are the fake's hot path (see the benchmark), so the
 * person is written straight to JSON instead of building an object for Fastify to serialise.
 */
export function personV2Json(p: Person, c: CompanyStore, opts: PersonRenderOptions = {}): string {
  const q = JSON.stringify;
  const contacts = (list: ContactValue[]) =>
    `[${list.map((e) => `{"value":${q(e.value)},"primary":${e.primary},"label":${q(e.label)}}`).join(',')}]`;
  let out =
    `{"id":${p.id},"name":${q(p.name)},"first_name":${q(p.first_name)},"last_name":${q(p.last_name)}` +
    `,"owner_id":${p.owner_id},"org_id":${p.org_id === null ? 'null' : p.org_id},"picture_id":null` +
    `,"add_time":"${isoTime(p.add_time)}","update_time":"${isoTime(p.update_time)}"` +
    `,"emails":${contacts(p.emails)},"phones":${contacts(p.phones)},"is_deleted":${p.is_deleted}` +
    `,"visible_to":${p.visible_to},"label_ids":[${p.label_ids.join(',')}]` +
    `,"custom_fields":${q(renderCustomFields(p.custom_fields, c.personFields, opts))}`;
  if (p.job_title !== null) out += `,"job_title":${q(p.job_title)}`;
  if (opts.includeFields?.includes('marketing_status'))
    out += `,"marketing_status":${q(p.marketing_status ?? 'no_consent')}`;
  return `${out}}`;
}

export function personV2(
  p: Person,
  c: CompanyStore,
  opts: PersonRenderOptions = {},
): Record<string, unknown> {
  return JSON.parse(personV2Json(p, c, opts)) as Record<string, unknown>;
}

/** The v1 person shape (reference 4.8), used by the merge response. */
export function personV1(p: Person, c: CompanyStore): Record<string, unknown> {
  const owner = c.users.get(p.owner_id);
  const org = p.org_id === null ? undefined : c.orgs.get(p.org_id);
  const out: Record<string, unknown> = {
    id: p.id,
    company_id: c.company.id,
    // SPEC-V1 (merge response) types owner_id and org_id as plain integers here.
    owner_id: p.owner_id,
    org_id: p.org_id,
    name: p.name,
    first_name: p.first_name,
    last_name: p.last_name,
    open_deals_count: 0,
    related_open_deals_count: 0,
    closed_deals_count: 0,
    related_closed_deals_count: 0,
    participant_open_deals_count: 0,
    participant_closed_deals_count: 0,
    email_messages_count: 0,
    activities_count: 0,
    done_activities_count: 0,
    undone_activities_count: 0,
    files_count: 0,
    notes_count: 0,
    followers_count: 0,
    won_deals_count: 0,
    related_won_deals_count: 0,
    lost_deals_count: 0,
    related_lost_deals_count: 0,
    active_flag: !p.is_deleted,
    phone: p.phones.length ? p.phones.map((e) => ({ ...e })) : [{ value: '', primary: true }],
    email: p.emails.length ? p.emails.map((e) => ({ ...e })) : [{ value: '', primary: true }],
    first_char: p.name.charAt(0).toLowerCase(),
    update_time: v1Time(p.update_time),
    add_time: v1Time(p.add_time),
    visible_to: String(p.visible_to),
    picture_id: null,
    next_activity_date: null,
    next_activity_time: null,
    next_activity_id: null,
    last_activity_id: null,
    last_activity_date: null,
    last_incoming_mail_time: null,
    last_outgoing_mail_time: null,
    label: p.label_ids[0] ?? null,
    label_ids: [...p.label_ids],
    org_name: org?.name ?? null,
    owner_name: owner?.name ?? '',
    cc_email: `${c.company.domain}@pipedrivemail.com`,
  };
  // v1 carries custom fields as flat top-level keys, set values as comma strings (reference 4.4).
  for (const f of c.personFields) {
    if (!f.custom || !f.active) continue;
    const v = p.custom_fields[f.key];
    out[f.key] =
      v === undefined
        ? null
        : Array.isArray(v)
          ? v.join(',')
          : f.field_type === 'enum'
            ? String(v)
            : v;
  }
  return out;
}

export function orgV2(o: Organization, c: CompanyStore): Record<string, unknown> {
  return {
    id: o.id,
    name: o.name,
    owner_id: o.owner_id,
    add_time: isoTime(o.add_time),
    update_time: isoTime(o.update_time),
    is_deleted: o.is_deleted,
    visible_to: o.visible_to,
    label_ids: [...o.label_ids],
    address: o.address === null ? null : { value: o.address },
    custom_fields: renderCustomFields(o.custom_fields, c.orgFields, {}),
  };
}

export function userV1(u: User, company: Company, me: boolean): Record<string, unknown> {
  return {
    id: u.id,
    name: u.name,
    default_currency: company.currency,
    locale: 'en_US',
    lang: 1,
    email: u.email,
    phone: null,
    activated: true,
    last_login: v1Time(u.created),
    created: v1Time(u.created),
    modified: v1Time(u.created),
    has_created_company: u.isAdmin,
    access: [
      {
        app: 'sales',
        admin: u.isAdmin,
        permission_set_id: u.isAdmin ? 'admin-set' : 'regular-set',
      },
    ],
    active_flag: true,
    timezone_name: 'Europe/Tallinn',
    timezone_offset: '+02:00',
    role_id: 1,
    icon_url: null,
    is_you: me,
    is_deleted: false,
    is_admin: u.isAdmin ? 1 : 0,
    ...(me
      ? {
          company_id: company.id,
          company_name: company.name,
          company_domain: company.domain,
          company_country: company.country,
          company_industry: company.industry,
          language: { language_code: 'en', country_code: 'US' },
        }
      : {}),
  };
}

const V1_FIELD_TYPE: Record<string, string> = {
  int: 'double',
  boolean: 'enum',
  varchar_options: 'enum',
};

export function fieldV1(f: FieldDef): Record<string, unknown> {
  return {
    id: f.id,
    key: f.key,
    name: f.name,
    order_nr: f.order_nr,
    field_type: V1_FIELD_TYPE[f.field_type] ?? f.field_type,
    add_time: v1Time(f.add_time),
    update_time: v1Time(f.update_time),
    last_updated_by_user_id: null,
    created_by_user_id: null,
    active_flag: f.active,
    edit_flag: f.custom,
    index_visible_flag: true,
    details_visible_flag: true,
    add_visible_flag: !f.readOnly,
    important_flag: false,
    bulk_edit_allowed: !f.readOnly,
    searchable_flag: ['name', 'email', 'phone'].includes(f.key) || f.custom,
    filtering_allowed: true,
    sortable_flag: true,
    mandatory_flag: f.mandatory,
    options: f.options ? f.options.map((o) => ({ ...o })) : null,
    is_subfield: false,
    subfields: [],
  };
}

export function fieldV2(f: FieldDef, include: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {
    field_name: f.name,
    field_code: f.key,
    field_type: f.field_type,
    options: f.options
      ? f.options.map((o) => ({ id: o.id, label: o.label, color: o.color ?? null }))
      : null,
    subfields:
      f.field_type === 'monetary'
        ? [{ field_code: `${f.key}_currency`, field_name: 'Currency', field_type: 'varchar' }]
        : null,
    is_custom_field: f.custom,
    is_optional_response_field: false,
    description: null,
  };
  if (include.includes('ui_visibility')) {
    out.ui_visibility = {
      add_visible_flag: !f.readOnly,
      details_visible_flag: true,
      show_in_add_deal_dialog: { show: false, order: null },
    };
  }
  if (include.includes('important_fields'))
    out.important_fields = { enabled: false, stage_ids: [] };
  if (include.includes('required_fields')) out.required_fields = { enabled: f.mandatory };
  return out;
}

export function filterV1(
  f: Filter,
  withConditions: boolean,
  fieldCodes?: Map<string, string>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: f.id,
    name: f.name,
    filter_code: null,
    is_editable: true,
    active_flag: true,
    type: f.type,
    temporary_flag: null,
    user_id: f.user_id,
    add_time: v1Time(f.add_time),
    update_time: v1Time(f.update_time),
    visible_to: f.visible_to,
    last_used_time: null,
    custom_view_id: null,
  };
  if (withConditions) {
    out.conditions = {
      glue: f.conditions.glue,
      conditions: f.conditions.conditions.map((g) => ({
        glue: g.glue,
        conditions: g.conditions.map((c) => ({
          ...c,
          ...(fieldCodes ? { field_code: fieldCodes.get(c.field_id) ?? null } : {}),
        })),
      })),
    };
  }
  return out;
}

export function webhookV1(w: Webhook): Record<string, unknown> {
  return {
    id: w.id,
    company_id: w.companyId,
    owner_id: w.owner_id,
    user_id: w.user_id,
    event_action: w.event_action,
    event_object: w.event_object,
    subscription_url: w.subscription_url,
    version: w.version,
    is_active: 1,
    add_time: isoTime(w.add_time),
    remove_time: null,
    type: w.type,
    http_auth_user: w.http_auth_user,
    http_auth_password: w.http_auth_password,
    remove_reason: null,
    last_delivery_time: w.last_delivery_time === null ? null : isoTime(w.last_delivery_time),
    last_http_status: w.last_http_status,
    admin_id: w.owner_id,
    name: w.name,
  };
}
