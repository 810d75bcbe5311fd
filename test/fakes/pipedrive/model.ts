/**
 * The fake's in-memory model: plain records, stored once and rendered into the v1 or v2 wire
 * shapes by format.ts. Times are epoch milliseconds from the fake's clock.
 */
import type { PipedrivePlan } from '../../../server/pipedrive/provider.ts';

export interface Company {
  id: number;
  name: string;
  /** Subdomain only (reference 3.8), e.g. "acme-1a2b3c". */
  domain: string;
  plan: PipedrivePlan;
  seats: number;
  country: string;
  industry: string;
  currency: string;
}

export interface User {
  id: number;
  companyId: number;
  name: string;
  email: string;
  isAdmin: boolean;
  /** API token for `x-api-token` calls (reference 2.3). */
  apiToken: string;
  created: number;
}

export interface ContactValue {
  value: string;
  primary: boolean;
  label: string;
}

export interface Person {
  id: number;
  companyId: number;
  name: string;
  first_name: string;
  last_name: string;
  owner_id: number;
  org_id: number | null;
  add_time: number;
  update_time: number;
  emails: ContactValue[];
  phones: ContactValue[];
  is_deleted: boolean;
  visible_to: number;
  label_ids: number[];
  job_title: string | null;
  marketing_status: string | null;
  /** Only keys with a value; unset keys are absent (reference 4.3). */
  custom_fields: Record<string, unknown>;
  /** Bumped on every write; ties entries of the update-time index to the current version. */
  seq: number;
}

export interface Organization {
  id: number;
  companyId: number;
  name: string;
  owner_id: number;
  add_time: number;
  update_time: number;
  is_deleted: boolean;
  visible_to: number;
  label_ids: number[];
  address: string | null;
  custom_fields: Record<string, unknown>;
}

export interface FieldOption {
  id: number;
  label: string;
  color?: string;
}

export interface FieldDef {
  id: number;
  /** System key (`name`, `email`, …) or a 40-hex custom key (reference 5.1, 5.4). */
  key: string;
  name: string;
  field_type: string;
  order_nr: number;
  options: FieldOption[] | null;
  /** true for custom fields (`edit_flag`). */
  custom: boolean;
  /** Computed system fields nobody can write (add_time, update_time, id …). */
  readOnly: boolean;
  mandatory: boolean;
  add_time: number;
  update_time: number;
  active: boolean;
}

export interface FilterCondition {
  object: string;
  field_id: string;
  operator: string;
  value: string | null;
  extra_value: string | null;
  json_value_flag: boolean;
}

export interface FilterGroup {
  glue: 'and' | 'or';
  conditions: FilterCondition[];
}

export interface Filter {
  id: number;
  companyId: number;
  name: string;
  type: string;
  user_id: number;
  add_time: number;
  update_time: number;
  visible_to: string;
  conditions: { glue: 'and'; conditions: FilterGroup[] };
}

export interface Webhook {
  id: number;
  companyId: number;
  owner_id: number;
  user_id: number;
  event_action: string;
  event_object: string;
  subscription_url: string;
  version: string;
  name: string;
  type: 'general' | 'application';
  http_auth_user: string | null;
  http_auth_password: string | null;
  add_time: number;
  /** OAuth client that created it, for app webhooks (reference 7.2). */
  clientId: string | null;
  last_delivery_time: number | null;
  last_http_status: number | null;
  lastSuccessAt: number | null;
  firstAttemptFailures: number;
  bannedUntil: number | null;
}

export interface ActivityType {
  id: number;
  companyId: number;
  name: string;
  key_string: string;
  icon_key: string;
  color: string;
  order_nr: number;
  active_flag: boolean;
  is_custom_flag: boolean;
  add_time: number;
  update_time: number;
}

export interface Participant {
  person_id: number;
  primary: boolean;
}

export interface Activity {
  id: number;
  companyId: number;
  subject: string;
  type: string;
  owner_id: number;
  creator_user_id: number;
  is_deleted: boolean;
  add_time: number;
  update_time: number;
  deal_id: number | null;
  lead_id: string | null;
  person_id: number | null;
  org_id: number | null;
  project_id: number | null;
  due_date: string | null;
  due_time: string | null;
  duration: string | null;
  busy: boolean;
  done: boolean;
  marked_as_done_time: number | null;
  participants: Participant[];
  public_description: string | null;
  note: string | null;
  priority: number | null;
}

export interface Note {
  id: number;
  companyId: number;
  content: string;
  person_id: number | null;
  org_id: number | null;
  deal_id: number | null;
  lead_id: string | null;
  user_id: number;
  add_time: number;
  update_time: number;
  pinned_to_person_flag: boolean;
  active_flag: boolean;
}
