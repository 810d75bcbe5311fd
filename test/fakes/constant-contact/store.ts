/**
 * The in-memory state of the Constant Contact fake: OAuth apps and grants, and per account the
 * contacts, lists, custom fields, bulk activities, campaigns and tracking events.
 *
 * Sized for 1M contacts per account: contacts live in a Map by id, an append-only array in
 * creation order (the cursor is a position in it, so paging never rescans earlier pages; contacts
 * are never hard-deleted, §5, so positions stay stable) and an email → id index.
 * Timestamps are epoch milliseconds; serialisation to ISO-8601 happens at the edge.
 */
import { createRng, type Rng } from '../shared/prng.ts';
import { type Behaviour, defaultBehaviour, type PermissionAttempt } from './behaviour.ts';

export type Source = 'Contact' | 'Account';
export type Permission =
  | 'explicit'
  | 'implicit'
  | 'not_set'
  | 'pending_confirmation'
  | 'temp_hold'
  | 'unsubscribed';

export interface EmailRecord {
  address: string;
  permission: Permission;
  createdAt: number;
  /** Separate from the contact's updatedAt: an unsubscribe moves only this one (§12). */
  updatedAt: number;
  optInSource?: Source;
  optInDate?: number;
  optOutSource?: Source;
  optOutDate?: number;
  optOutReason?: string;
  confirmStatus: 'pending' | 'confirmed' | 'off';
}

export interface PhoneRecord {
  phone_number_id: string;
  phone_number: string;
  kind: string;
  createdAt: number;
  updatedAt: number;
}

export interface AddressRecord {
  street_address_id: string;
  kind: string;
  street?: string;
  city?: string;
  state?: string;
  postal_code?: string;
  country?: string;
  createdAt: number;
  updatedAt: number;
}

export interface CustomFieldValue {
  custom_field_id: string;
  value: string;
}

export interface NoteRecord {
  note_id: string;
  content: string;
  createdAt: number;
}

export interface ContactRecord {
  contact_id: string;
  email?: EmailRecord;
  first_name?: string;
  last_name?: string;
  job_title?: string;
  company_name?: string;
  birthday_month?: number;
  birthday_day?: number;
  anniversary?: string;
  create_source: Source;
  update_source?: Source;
  createdAt: number;
  updatedAt: number;
  /** Soft delete (§5): the record stays, memberships are cleared. */
  deletedAt?: number;
  custom_fields?: CustomFieldValue[];
  phone_numbers?: PhoneRecord[];
  street_addresses?: AddressRecord[];
  list_memberships?: string[];
  taggings?: string[];
  notes?: NoteRecord[];
}

export interface ListRecord {
  list_id: string;
  name: string;
  description?: string;
  favorite: boolean;
  createdAt: number;
  updatedAt: number;
  deletedAt?: number;
}

export interface TagRecord {
  tag_id: string;
  name: string;
  tag_source?: string;
  createdAt: number;
  updatedAt: number;
}

export interface CustomFieldChoice {
  choice_id: number;
  choice_label: string;
  display_order: number;
}

export interface CustomFieldRecord {
  custom_field_id: string;
  label: string;
  name: string;
  type: string;
  choices?: CustomFieldChoice[];
  createdAt: number;
  updatedAt: number;
}

export type ActivityType =
  | 'contacts_json_import'
  | 'add_list_memberships'
  | 'remove_list_memberships'
  | 'contact_delete'
  | 'list_delete'
  | 'contacts_taggings_add'
  | 'contacts_taggings_remove'
  | 'contacts_tags_delete'
  | 'custom_fields_delete'
  | 'contact_exports';

export type ActivityState = 'initialized' | 'processing' | 'completed' | 'failed';

export interface ActivityRecord {
  activity_id: string;
  type: ActivityType;
  state: ActivityState;
  createdAt: number;
  updatedAt: number;
  startedAt?: number;
  completedAt?: number;
  /** Fake-clock time at which the activity completes. */
  dueAt: number;
  errors: string[];
  counts: Record<string, number>;
  /** The validated request, applied when the activity runs. */
  payload: unknown;
  /** Export activities: where the finished CSV can be fetched. */
  resultsHref?: string;
}

export type TrackingKind = 'sends' | 'opens' | 'clicks' | 'forwards' | 'optouts' | 'bounces';

export interface TrackingEvent {
  kind: TrackingKind;
  contactId: string;
  campaignActivityId: string;
  at: number;
  /** The address the event happened on, frozen at the time (reports show it). */
  emailAddress: string;
  deviceType?: string;
  urlId?: string;
  linkUrl?: string;
  bounceCode?: string;
  optOutReason?: string;
}

export interface CampaignActivityRecord {
  campaign_activity_id: string;
  campaignId: string;
  role: 'primary_email' | 'permalink' | 'resend';
  /** Newest first is how reports read them; kept sorted by `at` descending. */
  events: TrackingEvent[];
}

export interface CampaignRecord {
  campaign_id: string;
  name: string;
  status: 'Draft' | 'Scheduled' | 'Executing' | 'Done' | 'Error' | 'Removed';
  createdAt: number;
  updatedAt: number;
  lastSentAt?: number;
  activityIds: string[];
}

export class AccountStore {
  readonly contacts = new Map<string, ContactRecord>();
  /** Creation order; the contacts cursor is a position in this array. */
  readonly order: ContactRecord[] = [];
  readonly byEmail = new Map<string, string>();
  readonly lists = new Map<string, ListRecord>();
  readonly customFields = new Map<string, CustomFieldRecord>();
  readonly tags = new Map<string, TagRecord>();
  /** Finished contact exports (CSV text) by file export id. */
  readonly exports = new Map<string, string>();
  readonly activities = new Map<string, ActivityRecord>();
  readonly campaigns = new Map<string, CampaignRecord>();
  readonly campaignActivities = new Map<string, CampaignActivityRecord>();
  readonly trackingByContact = new Map<string, TrackingEvent[]>();
  /** §4.7: the resubscribe email may be sent once per unsubscribed contact. */
  readonly resubscribeRequested = new Map<string, string[]>();
  /** §4.6: Confirmed Opt-In setting of the account. */
  confirmedOptIn = false;

  constructor(
    readonly accountId: string,
    public organizationName: string,
    public contactEmail: string,
    private readonly caseSensitiveEmail: () => boolean,
  ) {}

  emailKey(address: string): string {
    return this.caseSensitiveEmail() ? address.trim() : address.trim().toLowerCase();
  }

  findByEmail(address: string): ContactRecord | undefined {
    const id = this.byEmail.get(this.emailKey(address));
    return id === undefined ? undefined : this.contacts.get(id);
  }

  insertContact(contact: ContactRecord): void {
    this.contacts.set(contact.contact_id, contact);
    this.order.push(contact);
    if (contact.email) this.byEmail.set(this.emailKey(contact.email.address), contact.contact_id);
  }

  /** Re-points the email index after an address change. */
  reindexEmail(contact: ContactRecord, previous: string | undefined): void {
    if (previous !== undefined) {
      const key = this.emailKey(previous);
      if (this.byEmail.get(key) === contact.contact_id) this.byEmail.delete(key);
    }
    if (contact.email) this.byEmail.set(this.emailKey(contact.email.address), contact.contact_id);
  }

  activeLists(): ListRecord[] {
    return [...this.lists.values()].filter((l) => l.deletedAt === undefined);
  }

  customFieldByName(name: string): CustomFieldRecord | undefined {
    for (const field of this.customFields.values()) if (field.name === name) return field;
    return undefined;
  }
}

export interface OAuthApp {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  refreshTokenMode: 'rotating' | 'long_lived';
}

export interface Grant {
  grantId: string;
  clientId: string;
  accountId: string;
  scopes: string[];
  revoked: boolean;
  /** Rotation (§3.7): only this refresh token works; every earlier one is dead. */
  refreshToken?: string;
  refreshTokenLastUsedAt: number;
  createdAt: number;
}

export interface AuthorizationCode {
  code: string;
  clientId: string;
  accountId: string;
  redirectUri: string;
  scopes: string[];
  codeChallenge?: string;
  codeChallengeMethod?: string;
  expiresAt: number;
  used: boolean;
}

export class CcStore {
  readonly accounts = new Map<string, AccountStore>();
  readonly apps = new Map<string, OAuthApp>();
  readonly grants = new Map<string, Grant>();
  readonly codes = new Map<string, AuthorizationCode>();
  /** jti of access tokens revoked one by one through the revoke endpoint. */
  readonly revokedAccessTokens = new Set<string>();
  readonly permissionAttempts: PermissionAttempt[] = [];
  behaviour: Behaviour = { ...defaultBehaviour };
  /** Account the authorize endpoint auto-approves for (the "logged-in CC user"). */
  approveAccountId: string | undefined;
  private rng: Rng;

  constructor(seed: string) {
    this.rng = createRng(`cc-ids-${seed}`);
  }

  /**
   * Restarts the id sequence from this seed. The simulation calls it per seed, so a seed's
   * contact ids (and the order they sort in) do not depend on the seeds run before it in the
   * same process, and a replay on its own meets the same ids.
   */
  reseed(seed: string): void {
    this.rng = createRng(`cc-ids-${seed}`);
  }

  /** Deterministic RFC 4122 v4-shaped ids, so a seed reproduces every id. */
  uuid(): string {
    const hex = (): string =>
      Math.floor(this.rng.next() * 0x100000000)
        .toString(16)
        .padStart(8, '0');
    const h = hex() + hex() + hex() + hex();
    const variant = ((Number.parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  /** An opaque random token body (not a uuid), for codes and refresh tokens. */
  token(bytes = 24): string {
    const buf = Buffer.alloc(bytes);
    for (let i = 0; i < bytes; i++) buf[i] = Math.floor(this.rng.next() * 256);
    return buf.toString('base64url');
  }

  addAccount(accountId: string, organizationName: string, contactEmail: string): AccountStore {
    const account = new AccountStore(
      accountId,
      organizationName,
      contactEmail,
      () => this.behaviour.emailCaseSensitive,
    );
    this.accounts.set(accountId, account);
    this.approveAccountId ??= accountId;
    return account;
  }

  account(accountId: string): AccountStore {
    const account = this.accounts.get(accountId);
    if (!account) throw new Error(`unknown CC account ${accountId}`);
    return account;
  }

  registerApp(app: Omit<OAuthApp, 'refreshTokenMode'> & Partial<OAuthApp>): OAuthApp {
    const full: OAuthApp = { refreshTokenMode: 'rotating', ...app };
    this.apps.set(app.clientId, full);
    return full;
  }
}

const DAY_MS = 86_400_000;
let isoDay = Number.NaN;
let isoPrefix = '';
const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/**
 * `Date#toISOString` without a Date per call: serialising a 500-contact page formats 2,000
 * timestamps, and this was half the cost of a page (bench/fake-constant-contact.ts).
 */
export function iso(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  if (day !== isoDay) {
    isoDay = day;
    isoPrefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
  }
  let rest = ms - day * DAY_MS;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = Math.floor(rest / 1000);
  return `${isoPrefix}${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}.${pad(rest - s * 1000, 3)}Z`;
}
export const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
