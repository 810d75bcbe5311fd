/**
 * Options of the fake and its behaviour switches. Every switch is one UNCONFIRMED point of the
 * reference (section named per switch); the defaults are the reference's **Fake:** choices.
 */
import { PIPEDRIVE_RATE_LIMITS, type PipedrivePlan } from '../../../server/pipedrive/provider.ts';

export interface Behaviour {
  /** 4.2: GET of a soft-deleted person answers 404 (default) or 200 with `is_deleted: true`. */
  deletedPersonGet: '404' | 'is_deleted';
  /** 4.3: unset custom fields are left out (default) or emitted as null. */
  unsetCustomFields: 'omit' | 'null';
  /** 4.5: PATCH `emails`/`phones` replace the whole list (default) or merge by value. */
  patchContacts: 'replace' | 'merge';
  /** 5.1: unknown body keys are rejected with 400 (default) or ignored. */
  unknownKeys: 'reject' | 'ignore';
  /** 4.7: milliseconds during which a new or changed person is not found by search. */
  searchLagMs: number;
  /** 3.7: scopes accepted on /v1/webhooks. */
  webhookScopes: 'admin-or-webhooks' | 'admin-only';
  /** 3.6: body shape of /oauth/token errors. */
  oauthErrorShape: 'rfc6749' | 'pipedrive';
  /** 3.9: format of the uninstall `timestamp`. */
  uninstallTimestamp: 'iso' | 'unix';
  /** 7.4: ids in webhook meta as strings (default) or numbers. */
  webhookIds: 'string' | 'number';
  /** 7.4: webhook meta.timestamp as ISO string (default) or Unix seconds. */
  webhookTimestamp: 'iso' | 'unix';
  /** 7.4: person `custom_fields` in webhook data as the API format (default) or typed objects. */
  webhookCustomFields: 'api' | 'typed';
  /** 9.5: add `Retry-After` to 429 answers. */
  retryAfterHeader: boolean;
  /** 8.1: `person_id` in activity bodies is honoured (default) or ignored. */
  activityPersonId: 'accept' | 'ignore';
  /** 8.3: note limits (none by default). */
  noteMaxBytes: number | null;
  notesPerEntity: number | null;
  /** 7.1: probe the subscription URL when a webhook is created. */
  probeWebhookUrl: boolean;
}

export const DEFAULT_BEHAVIOUR: Behaviour = {
  deletedPersonGet: '404',
  unsetCustomFields: 'omit',
  patchContacts: 'replace',
  unknownKeys: 'reject',
  searchLagMs: 0,
  webhookScopes: 'admin-or-webhooks',
  oauthErrorShape: 'rfc6749',
  uninstallTimestamp: 'iso',
  webhookIds: 'string',
  webhookTimestamp: 'iso',
  webhookCustomFields: 'api',
  retryAfterHeader: false,
  activityPersonId: 'accept',
  noteMaxBytes: null,
  notesPerEntity: null,
  probeWebhookUrl: false,
};

export interface RateLimitConfig {
  enabled: boolean;
  /** Overrides the company's daily budget (30 000 × plan multiplier × seats). */
  dailyBudget?: number;
  /** Overrides the burst limit per 2-second window for every plan. */
  burstPerWindow?: number;
  searchPerWindow: number;
  windowMs: number;
  /** Plan used when a company has none (seeded companies carry their own). */
  defaultPlan: PipedrivePlan;
}

export const DEFAULT_RATE_LIMITS: RateLimitConfig = {
  enabled: true,
  searchPerWindow: PIPEDRIVE_RATE_LIMITS.searchPerWindow,
  windowMs: PIPEDRIVE_RATE_LIMITS.burstWindowSeconds * 1000,
  defaultPlan: 'growth',
};

export interface OAuthAppOptions {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  /** Uninstall callback; defaults to `redirectUri` (Pipedrive has a single callback URL). */
  callbackUrl?: string;
  /** Scopes granted on install; defaults to PIPEDRIVE_APP_SCOPES. */
  scopes?: string[];
}
