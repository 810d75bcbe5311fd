/**
 * Constant Contact V3 provider facts, as plain data. The app's CC client and the local CC fake
 * (test/fakes/constant-contact) both read this file, so a number changes in one place.
 * Every value cites docs/reference "constant-contact-api.md" (shared/reference) by section.
 */

/** §2: every data call goes to `https://api.cc.email/v3`. */
export const ccApi = {
  origin: 'https://api.cc.email',
  basePath: '/v3',
  /** §4.3: `_links.next.href` is path-relative (`/v3/...`); prefix it with the origin. */
  pagingLinksArePathRelative: true,
} as const;

/** §3: Okta-style "default" authorization server. */
export const ccOAuth = {
  origin: 'https://authz.constantcontact.com',
  paths: {
    authorize: '/oauth2/default/v1/authorize',
    token: '/oauth2/default/v1/token',
    /** §3.1: UNCONFIRMED path (standard Okta); treat a failed revoke as non-fatal. */
    revoke: '/oauth2/default/v1/revoke',
  },
  /** §3.6 */
  scopes: {
    contactData: 'contact_data',
    campaignData: 'campaign_data',
    accountRead: 'account_read',
    accountUpdate: 'account_update',
    offlineAccess: 'offline_access',
  },
  /** §3.6: what the sync asks for. */
  requiredScopes: ['contact_data', 'campaign_data', 'account_read', 'offline_access'],
  /** §3.2/§3.5: fixed 24 h for the authorization-code flow. */
  accessTokenTtlSeconds: 86_400,
  /** §3.3: single use, 5 minutes. */
  authorizationCodeTtlSeconds: 300,
  /** §3.7: both refresh-token kinds expire after 180 days without use. */
  refreshTokenIdleTtlSeconds: 180 * 86_400,
  /** §3.7: the token endpoint allows 1 request per second. */
  tokenEndpointPerSecond: 1,
  /** §3.7: observed `invalid_grant` descriptions. */
  invalidGrantDescription: 'unknown, invalid, or expired refresh token',
  refreshTokenModes: ['rotating', 'long_lived'],
} as const;

/** §10: per API key (OAuth client), shared by every connected account. */
export const ccRateLimits = {
  perSecond: 4,
  perDay: 10_000,
  /** The daily count starts over at 00:00:00 UTC. */
  dayResetUtcHour: 0,
  /** §10: no rate-limit headers are sent (UNCONFIRMED by observation). */
  sendsRateLimitHeaders: false,
} as const;

/** §11/§10/§3.8: error bodies. API errors are arrays; auth and 429 bodies are objects. */
export const ccErrors = {
  unauthorized: { error_key: 'unauthorized', error_message: 'Unauthorized' },
  throttled: { error_key: 'throttled', error_message: 'Too Many Requests' },
  quotaExceeded: { error_key: 'quota_exceeded', error_message: 'Limit Exceeded' },
  /** §8: the key is UNCONFIRMED; the message is from SPEC `Activities429ErrorResponse`. */
  queuedActivities: {
    error_key: 'throttled',
    error_message: 'Too many requests. You exceeded 1,000 queued activities for this user account.',
  },
  validationKey: 'contacts.api.validation.error',
  conflictKey: 'contacts.api.conflict',
  notFoundKey: 'contacts.api.not_found',
  /** §11: the existing contact's id is only available inside the 409 message. */
  conflictMessagePrefix: 'Validation failed: Email already exists for contact ',
  conflictIdPattern: /Email already exists for contact ([0-9a-f-]{36})/,
} as const;

/** §4.2, §4.4, §4.5, §4.8: contact fields and limits. */
export const ccContactLimits = {
  pageSizeMax: 500,
  pageSizeDefault: 50,
  listsFilterMax: 25,
  emailMaxLength: 80,
  signUpFormEmailMaxLength: 50,
  nameMaxLength: 50,
  anniversaryMaxLength: 10,
  phoneNumberMaxLength: 25,
  phonesMax: 3,
  addressesMax: 3,
  streetMaxLength: 255,
  addressPartMaxLength: 50,
  listMembershipsMax: 50,
  taggingsMax: 50,
  customFieldValuesMax: 25,
  signUpFormCustomFieldValuesMax: 50,
  customFieldValueMaxLength: 255,
  optOutReasonMaxLength: 255,
  notesMax: 150,
  noteMaxLength: 2000,
  statuses: [
    'all',
    'active',
    'deleted',
    'not_set',
    'pending_confirmation',
    'temp_hold',
    'unsubscribed',
  ],
  permissions: [
    'explicit',
    'implicit',
    'not_set',
    'pending_confirmation',
    'temp_hold',
    'unsubscribed',
  ],
  includes: [
    'custom_fields',
    'list_memberships',
    'phone_numbers',
    'street_addresses',
    'taggings',
    'notes',
  ],
  sources: ['Contact', 'Account'],
  phoneKinds: ['home', 'work', 'mobile', 'other'],
  addressKinds: ['home', 'work', 'other'],
} as const;

/** §6, §7: custom fields and lists. */
export const ccAccountLimits = {
  customFieldsMax: 100,
  customFieldLabelMaxLength: 50,
  customFieldPageSizeMax: 100,
  customFieldPageSizeDefault: 50,
  customFieldTypes: [
    'string',
    'date',
    'datetime',
    'number',
    'currency',
    'boolean',
    'text_area',
    'single_select',
    'multi_select',
  ],
  listsMax: 1_000,
  listNameMaxLength: 255,
  listPageSizeMax: 1_000,
  listPageSizeDefault: 50,
  /** §7: tags (optional, e.g. for Pipedrive labels); names 1–255 characters, unique. */
  tagNameMaxLength: 255,
  tagPageSizeMax: 500,
  tagPageSizeDefault: 50,
} as const;

/** §8: bulk activities. */
export const ccBulkLimits = {
  jsonImportMaxContacts: 40_000,
  /** "under 4 MB per request". */
  jsonImportMaxBytes: 4 * 1024 * 1024,
  jsonImportEmailMaxLength: 50,
  importListIdsMax: 50,
  contactIdsMax: 500,
  listIdsMax: 50,
  tagIdsMax: 50,
  /** SPEC def `ListIdList100`. */
  listDeleteIdsMax: 100,
  customFieldIdsMax: 100,
  maxQueuedActivities: 1_000,
  activityRetentionDays: 10,
  activitiesPageSizeMax: 500,
  activitiesPageSizeDefault: 50,
  states: ['initialized', 'processing', 'completed', 'cancelled', 'failed', 'timed_out'],
  customFieldColumnPrefix: 'cf:',
} as const;

/** §9: engagement reporting. */
export const ccReporting = {
  trackingKinds: [
    'sends',
    'opens',
    'unique_opens',
    'didnotopens',
    'clicks',
    'forwards',
    'optouts',
    'bounces',
  ],
  trackingPageSizeMax: 500,
  trackingPageSizeDefault: 500,
  contactActivityTypes: [
    'em_sends',
    'em_opens',
    'em_clicks',
    'em_bounces',
    'em_optouts',
    'em_forwards',
  ],
  contactActivityPageSizeMax: 100,
  contactActivityDefaultType: 'em_clicks',
  bounceCodes: ['B', 'D', 'F', 'S', 'V', 'X', 'Z'],
  emailsPageSizeMax: 500,
  emailsPageSizeDefault: 50,
  campaignStatuses: ['Draft', 'Scheduled', 'Executing', 'Done', 'Error', 'Removed'],
} as const;
