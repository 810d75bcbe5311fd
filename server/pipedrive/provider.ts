/**
 * Pipedrive provider facts as plain data, read by the app's client and by the local fake
 * (test/fakes/pipedrive). Sources: /work/shared/reference/pipedrive-api.md (sections cited
 * per constant) and the vendor OpenAPI files in /work/shared/specs (`x-token-cost` and the
 * `oauth2` security scopes of each operation, copied verbatim into PIPEDRIVE_OPERATIONS).
 */

/** OAuth server and paths (reference 2.1, 3.1–3.3, 3.9). */
export const PIPEDRIVE_OAUTH = {
  host: 'https://oauth.pipedrive.com',
  authorizePath: '/oauth/authorize',
  tokenPath: '/oauth/token',
  revokePath: '/oauth/revoke',
  /** Reference 3.3: authorization codes are single-use and live 5 minutes. */
  authorizationCodeTtlSeconds: 300,
  /** Reference 3.5: access tokens last about an hour (`expires_in` 3599 or 3600). */
  accessTokenTtlSeconds: 3599,
  /** Reference 3.5: a refresh token expires after 60 days without use; it does not rotate. */
  refreshTokenIdleTtlSeconds: 60 * 24 * 3600,
  /** Reference 3.9: uninstall notification sent as DELETE to the app's callback URL. */
  uninstallMethod: 'DELETE',
} as const;

/** Every OAuth scope the v1 spec declares (SPEC-V1 `securitySchemes.oauth2`). */
export const PIPEDRIVE_SCOPES = [
  'base',
  'deals:read',
  'deals:full',
  'mail:read',
  'mail:full',
  'activities:read',
  'activities:full',
  'contacts:read',
  'contacts:full',
  'products:read',
  'products:full',
  'deal-fields:full',
  'product-fields:full',
  'contact-fields:full',
  'projects:read',
  'projects:full',
  'users:read',
  'recents:read',
  'search:read',
  'admin',
  'leads:read',
  'leads:full',
  'phone-integration',
  'goals:read',
  'goals:full',
  'video-calls',
  'messengers-integration',
  /** Reference 3.7: listed on the Oct 2025 scopes page; not in SPEC-V1. */
  'webhooks:read',
  'webhooks:full',
] as const;
export type PipedriveScope = (typeof PIPEDRIVE_SCOPES)[number];

/** Scopes this app asks for (reference 3.7); `base` is always granted. */
export const PIPEDRIVE_APP_SCOPES = [
  'base',
  'contacts:full',
  'activities:full',
  'users:read',
  'search:read',
  'admin',
] as const satisfies readonly PipedriveScope[];

/** API paths (reference 2.2): v1 answers on `/v1` and `/api/v1`, v2 only on `/api/v2`. */
export const PIPEDRIVE_API = {
  defaultBaseUrl: 'https://api.pipedrive.com',
  v1Prefixes: ['/v1', '/api/v1'],
  v2Prefix: '/api/v2',
  /** Reference 4.2: list `limit` default and maximum for v1 and v2. */
  defaultLimit: 100,
  maxLimit: 500,
  /** Reference 4.2: `ids` takes at most 100 ids, `custom_fields` at most 15 keys. */
  maxIds: 100,
  maxCustomFields: 15,
  /** Reference 4.3: soft-deleted persons are purged after 30 days. */
  softDeleteRetentionDays: 30,
} as const;

/** Rate limits (reference 9.1–9.5). */
export const PIPEDRIVE_RATE_LIMITS = {
  /** Daily budget = base × plan multiplier × seats, reset at midnight (server time). */
  dailyTokenBase: 30_000,
  planMultiplier: { lite: 1, growth: 2, premium: 5, ultimate: 7 },
  /** Rolling window for the burst limit, counted per token. */
  burstWindowSeconds: 2,
  burstPerWindow: {
    apiToken: { lite: 20, growth: 40, premium: 100, ultimate: 120 },
    oauth: { lite: 80, growth: 160, premium: 400, ultimate: 480 },
  },
  /** Search endpoints: 10 requests / 2 s on every plan and for every kind of auth. */
  searchPerWindow: 10,
  headers: {
    limit: 'x-ratelimit-limit',
    remaining: 'x-ratelimit-remaining',
    reset: 'x-ratelimit-reset',
    correlationId: 'x-correlation-id',
  },
  overLimitMessage: 'Request over limit',
} as const;
export type PipedrivePlan = keyof typeof PIPEDRIVE_RATE_LIMITS.planMultiplier;

/** Webhook delivery rules (reference 7.3, 7.6; AsyncAPI description). */
export const PIPEDRIVE_WEBHOOKS = {
  timeoutSeconds: 10,
  /** Retries after a failed delivery: 3 more attempts, 4 in total. */
  retryDelaysSeconds: [3, 30, 150],
  /** Only failed first attempts count towards the ban. */
  banAfterFirstAttemptFailures: 10,
  banMinutes: 30,
  removeAfterDaysWithoutSuccess: 3,
  maxPerUser: 40,
  headers: {
    'user-agent': 'Pipedrive Webhooks',
    'content-type': 'application/json',
    accept: 'application/json, text/plain, */*',
  },
  version: '2.0',
} as const;

/** Error messages of the OAuth server and API proxy (reference 3.6, 2.5). */
export const PIPEDRIVE_ERRORS = {
  unauthorized: 'unauthorized access',
  invalidToken: 'Invalid token: access_token is invalid',
  malformedAuthorization: 'Invalid request: malformed authorization header',
  scopeMismatch: 'Scope and URL mismatch',
  overLimit: 'Request over limit',
  missingGrantType: 'Missing parameter: grant_type',
  unsupportedGrantType: 'Unsupported grant type',
  invalidCode: 'Invalid grant: authorization_code is invalid',
  expiredCode: 'Invalid grant: authorization_code has expired',
  invalidRefreshToken: 'Invalid grant: refresh_token is invalid',
  missingClientCredentials: 'Invalid client: cannot retrieve client credentials',
  invalidClient: 'Invalid client: client is invalid',
  invalidRedirectUri: 'Invalid request: redirect_uri is invalid',
  formContentType: 'content must be application/x-www-form-urlencoded',
} as const;

export interface PipedriveOperation {
  /** Daily-budget tokens one call costs (`x-token-cost`). */
  cost: number;
  /** OAuth scopes that each allow the call (`security.oauth2`). */
  scopes: readonly string[];
}

/**
 * Cost and scopes of the operations the app and the fake use, keyed `"<v1|v2> <METHOD> <path>"`
 * with the spec's path template. Extracted from the specs' `x-token-cost` and `oauth2` entries.
 */
export const PIPEDRIVE_OPERATIONS = {
  'v1 GET /users/me': { cost: 2, scopes: ['base'] },
  'v1 GET /users': { cost: 20, scopes: ['users:read'] },
  'v1 POST /users': { cost: 10, scopes: ['admin'] },
  'v1 GET /webhooks': { cost: 10, scopes: ['admin'] },
  'v1 POST /webhooks': { cost: 10, scopes: ['admin'] },
  'v1 DELETE /webhooks/{id}': { cost: 6, scopes: ['admin'] },
  'v1 DELETE /filters': { cost: 10, scopes: ['deals:full', 'activities:full', 'contacts:full'] },
  'v1 GET /filters': {
    cost: 20,
    scopes: [
      'deals:read',
      'deals:full',
      'activities:read',
      'activities:full',
      'contacts:read',
      'contacts:full',
    ],
  },
  'v1 POST /filters': { cost: 10, scopes: ['deals:full', 'activities:full', 'contacts:full'] },
  'v1 DELETE /filters/{id}': {
    cost: 6,
    scopes: ['deals:full', 'activities:full', 'contacts:full'],
  },
  'v1 GET /filters/{id}': {
    cost: 2,
    scopes: [
      'deals:read',
      'deals:full',
      'activities:read',
      'activities:full',
      'contacts:read',
      'contacts:full',
    ],
  },
  'v1 PUT /filters/{id}': { cost: 10, scopes: ['deals:full', 'activities:full', 'contacts:full'] },
  'v1 GET /filters/helpers': {
    cost: 20,
    scopes: [
      'deals:read',
      'deals:full',
      'activities:read',
      'activities:full',
      'contacts:read',
      'contacts:full',
    ],
  },
  'v1 GET /personFields': {
    cost: 20,
    scopes: ['contacts:read', 'contacts:full', 'contact-fields:full', 'admin'],
  },
  'v1 POST /personFields': { cost: 10, scopes: ['contact-fields:full', 'admin'] },
  'v1 DELETE /personFields': { cost: 10, scopes: ['contact-fields:full', 'admin'] },
  'v1 GET /personFields/{id}': {
    cost: 2,
    scopes: ['contacts:read', 'contacts:full', 'contact-fields:full', 'admin'],
  },
  'v1 DELETE /personFields/{id}': { cost: 6, scopes: ['contact-fields:full', 'admin'] },
  'v1 PUT /personFields/{id}': { cost: 10, scopes: ['contact-fields:full', 'admin'] },
  'v1 GET /organizationFields': {
    cost: 20,
    scopes: ['contacts:read', 'contacts:full', 'contact-fields:full', 'admin'],
  },
  'v1 POST /organizationFields': { cost: 10, scopes: ['contact-fields:full', 'admin'] },
  'v1 DELETE /organizationFields': { cost: 10, scopes: ['contact-fields:full', 'admin'] },
  'v1 GET /organizationFields/{id}': {
    cost: 2,
    scopes: ['contacts:read', 'contacts:full', 'contact-fields:full', 'admin'],
  },
  'v1 DELETE /organizationFields/{id}': { cost: 6, scopes: ['contact-fields:full', 'admin'] },
  'v1 PUT /organizationFields/{id}': { cost: 10, scopes: ['contact-fields:full', 'admin'] },
  'v1 PUT /persons/{id}/merge': { cost: 40, scopes: ['contacts:full'] },
  'v1 GET /persons/{id}/changelog': { cost: 20, scopes: ['recents:read'] },
  'v1 GET /activityTypes': { cost: 20, scopes: ['activities:read', 'activities:full', 'admin'] },
  'v1 POST /activityTypes': { cost: 10, scopes: ['admin'] },
  'v1 DELETE /activityTypes/{id}': { cost: 6, scopes: ['admin'] },
  'v1 PUT /activityTypes/{id}': { cost: 10, scopes: ['admin'] },
  'v1 GET /notes': {
    cost: 20,
    scopes: ['deals:read', 'deals:full', 'contacts:read', 'contacts:full'],
  },
  'v1 POST /notes': { cost: 10, scopes: ['deals:full', 'contacts:full'] },
  'v1 DELETE /notes/{id}': { cost: 6, scopes: ['deals:full', 'contacts:full'] },
  'v1 GET /notes/{id}': {
    cost: 2,
    scopes: ['deals:read', 'deals:full', 'contacts:read', 'contacts:full'],
  },
  'v1 PUT /notes/{id}': { cost: 10, scopes: ['deals:full', 'contacts:full'] },
  'v2 GET /persons': { cost: 10, scopes: ['contacts:read', 'contacts:full'] },
  'v2 POST /persons': { cost: 5, scopes: ['contacts:full'] },
  'v2 DELETE /persons/{id}': { cost: 3, scopes: ['contacts:full'] },
  'v2 GET /persons/{id}': { cost: 1, scopes: ['contacts:read', 'contacts:full'] },
  'v2 PATCH /persons/{id}': { cost: 5, scopes: ['contacts:full'] },
  'v2 GET /persons/search': { cost: 20, scopes: ['contacts:read', 'contacts:full', 'search:read'] },
  'v2 GET /personFields': {
    cost: 10,
    scopes: ['contacts:read', 'contacts:full', 'admin', 'contact-fields:full'],
  },
  'v2 POST /personFields': { cost: 5, scopes: ['admin', 'contact-fields:full'] },
  'v2 GET /personFields/{field_code}': {
    cost: 1,
    scopes: ['contacts:read', 'contacts:full', 'admin', 'contact-fields:full'],
  },
  'v2 PATCH /personFields/{field_code}': {
    cost: 5,
    scopes: ['contacts:full', 'admin', 'contact-fields:full'],
  },
  'v2 DELETE /personFields/{field_code}': { cost: 3, scopes: ['admin', 'contact-fields:full'] },
  'v2 GET /organizationFields': {
    cost: 10,
    scopes: ['contacts:read', 'contacts:full', 'admin', 'contact-fields:full'],
  },
  'v2 POST /organizationFields': { cost: 5, scopes: ['admin', 'contact-fields:full'] },
  'v2 GET /organizationFields/{field_code}': {
    cost: 1,
    scopes: ['contacts:read', 'contacts:full', 'admin', 'contact-fields:full'],
  },
  'v2 PATCH /organizationFields/{field_code}': {
    cost: 5,
    scopes: ['contacts:full', 'admin', 'contact-fields:full'],
  },
  'v2 DELETE /organizationFields/{field_code}': {
    cost: 3,
    scopes: ['admin', 'contact-fields:full'],
  },
  'v2 GET /organizations': { cost: 10, scopes: ['contacts:read', 'contacts:full'] },
  'v2 POST /organizations': { cost: 5, scopes: ['contacts:full'] },
  'v2 DELETE /organizations/{id}': { cost: 3, scopes: ['contacts:full'] },
  'v2 GET /organizations/{id}': { cost: 1, scopes: ['contacts:read', 'contacts:full'] },
  'v2 PATCH /organizations/{id}': { cost: 5, scopes: ['contacts:full'] },
  'v2 GET /activities': { cost: 10, scopes: ['activities:read', 'activities:full'] },
  'v2 POST /activities': { cost: 5, scopes: ['activities:full'] },
  'v2 DELETE /activities/{id}': { cost: 3, scopes: ['activities:full'] },
  'v2 GET /activities/{id}': { cost: 1, scopes: ['activities:read', 'activities:full'] },
  'v2 PATCH /activities/{id}': { cost: 5, scopes: ['activities:full'] },
  'v2 GET /itemSearch/field': { cost: 20, scopes: ['search:read'] },
} as const satisfies Record<string, PipedriveOperation>;
export type PipedriveOperationKey = keyof typeof PIPEDRIVE_OPERATIONS;
