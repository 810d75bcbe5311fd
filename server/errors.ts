/**
 * The closed catalogue of error codes. Each entry says what happened and how to fix it, in
 * words for the admin who reads it in the settings page or the API response. docs/errors.md
 * carries the same table; test/unit/errors.unit.test.ts keeps the two in step.
 */

export interface ErrorDefinition {
  /** HTTP status when the error answers a request. */
  status: number;
  /** What happened. */
  message: string;
  /** How to fix it. */
  fix: string;
}

export const errorCatalogue = {
  REQUEST_INVALID: {
    status: 400,
    message: 'The request was not valid.',
    fix: 'Check the fields named in the details and send the request again.',
  },
  REQUEST_TOO_LARGE: {
    status: 413,
    message: 'The request body is larger than this endpoint accepts.',
    fix: 'Send a smaller body.',
  },
  WEBHOOK_UNAUTHENTICATED: {
    status: 401,
    message: 'The webhook delivery did not carry the credentials registered for this company.',
    fix: 'Nothing to do if this was not Pipedrive. Otherwise reinstall the app, which registers the webhooks again.',
  },
  WEBHOOK_INVALID: {
    status: 400,
    message: 'The webhook delivery is not a Pipedrive webhooks v2 payload this app understands.',
    fix: 'Check that the webhook was registered with version 2.0; the details name the field that was wrong.',
  },
  PANEL_UNAUTHENTICATED: {
    status: 401,
    message: 'This request did not carry a valid, unexpired Pipedrive token.',
    fix: 'Reload the page in Pipedrive; the panel asks Pipedrive for a fresh token on each request.',
  },
  PANEL_NOT_INSTALLED: {
    status: 401,
    message: 'The app is not installed for this Pipedrive user.',
    fix: 'Install the app from the Pipedrive Marketplace with this user, or ask your admin to.',
  },
  PIPEDRIVE_REAUTH_NEEDED: {
    status: 409,
    message: 'Pipedrive no longer accepts the app’s authorisation for this company.',
    fix: 'Reinstall the app from the Pipedrive Marketplace (or open its settings and choose Reconnect).',
  },
  CC_REAUTH_NEEDED: {
    status: 409,
    message: 'Constant Contact no longer accepts the app’s authorisation for this account.',
    fix: 'Open the app settings in Pipedrive and choose Reconnect Constant Contact.',
  },
  CC_NOT_CONFIGURED: {
    status: 409,
    message: 'This installation of the app has no Constant Contact application configured.',
    fix: 'The operator sets CC_CLIENT_ID and CC_CLIENT_SECRET (see .env.example) and restarts the app.',
  },
  SETTINGS_INVALID: {
    status: 400,
    message: 'The sync settings are incomplete or not valid.',
    fix: 'Open the app settings, complete the highlighted choices and save.',
  },
  MAPPING_INVALID: {
    status: 400,
    message: 'The field mapping refers to fields that are missing, read-only or of another type.',
    fix: 'Open the app settings, choose Refresh fields, and fix or remove the rows marked there.',
  },
  SYNC_WRITE_REJECTED: {
    status: 422,
    message: 'Pipedrive or Constant Contact refused the change the sync sent for this contact.',
    fix: 'Read the reason in the details, correct the contact in the app named there; it syncs on its next change.',
  },
  CC_NOT_CONNECTED: {
    status: 409,
    message: 'Constant Contact is not connected for this company.',
    fix: 'Open the app settings in Pipedrive and choose Connect Constant Contact.',
  },
  SYNC_NOT_ACTIVE: {
    status: 409,
    message: 'The sync is not in a state that allows this.',
    fix: 'Activate the sync first, or resume it if it is paused.',
  },
  NOT_FOUND: {
    status: 404,
    message: 'There is nothing at this address.',
    fix: 'Check the URL; the resource may have been removed.',
  },
  DATABASE_UNAVAILABLE: {
    status: 503,
    message: 'The app cannot reach its database.',
    fix: 'Check that PostgreSQL is running and DATABASE_URL is right; the app retries by itself.',
  },
  QUEUE_UNAVAILABLE: {
    status: 503,
    message: 'The job queue is not running.',
    fix: 'Wait for the process to finish starting, or check the logs for pg-boss errors.',
  },
  SHUTTING_DOWN: {
    status: 503,
    message: 'The app is shutting down.',
    fix: 'Retry in a moment; another process or the restarted one will answer.',
  },
  INTERNAL: {
    status: 500,
    message: 'Something went wrong inside the app.',
    fix: 'Try again. If it keeps happening, report it with the request id from this response.',
  },
  // API clients (server/api): what a stopped or postponed provider call means for the admin.
  CC_DAILY_LIMIT_REACHED: {
    status: 429,
    message: 'The app has used all the Constant Contact requests it may make today.',
    fix: 'Nothing to do: syncing resumes by itself after 00:00 UTC, and large jobs continue over the following days.',
  },
  PIPEDRIVE_BUDGET_REACHED: {
    status: 429,
    message: 'The app has used its share of this company’s Pipedrive API budget for today.',
    fix: 'Nothing to do: syncing resumes after the daily reset. To let the app spend more, raise PIPEDRIVE_BUDGET_SHARE.',
  },
  PROVIDER_UNAVAILABLE: {
    status: 503,
    message: 'Pipedrive or Constant Contact did not answer after several attempts.',
    fix: 'The app tries again later by itself. If it lasts, check the provider’s status page.',
  },
  PROVIDER_RESPONSE_INVALID: {
    status: 502,
    message: 'Pipedrive or Constant Contact answered in a shape this app does not understand.',
    fix: 'Report it with the details shown; the app needs an update for a change in the provider’s API.',
  },
  PROVIDER_PERMISSION_DENIED: {
    status: 403,
    message: 'Pipedrive or Constant Contact refused the request for lack of permission.',
    fix: 'Reconnect with an admin user so the app gets every permission it asks for.',
  },
  // Email engagement (server/sync/engagement): notices in the settings page's engagement read-out.
  ENGAGEMENT_AS_NOTES: {
    status: 403,
    message:
      'Email engagement is recorded as notes: the Pipedrive user who installed the app may not create the app’s activity types.',
    fix: 'Reinstall the app as a Pipedrive admin, or ask one to; from then on engagement is recorded as activities of the types Email opened, Email link clicked, Unsubscribed and Email bounced.',
  },
  ENGAGEMENT_ENTRY_REJECTED: {
    status: 422,
    message: 'Pipedrive refused some email engagement entries, so they were left out.',
    fix: 'Nothing is retried for those entries. If it keeps happening, report it with the time; the app’s log names the reason Pipedrive gave.',
  },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof errorCatalogue;

export class AppError extends Error {
  readonly status: number;
  readonly fix: string;

  constructor(
    readonly code: ErrorCode,
    options: { detail?: unknown; cause?: unknown } = {},
  ) {
    const definition: ErrorDefinition = errorCatalogue[code];
    super(definition.message, { cause: options.cause });
    this.name = 'AppError';
    this.status = definition.status;
    this.fix = definition.fix;
    this.detail = options.detail;
  }

  /** Safe to show: field paths and the like, never secrets or internals. */
  readonly detail: unknown;
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
