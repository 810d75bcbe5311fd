/**
 * The app's panel API, typed from the server's own route types (STYLE habit 11), so the two
 * cannot drift. Every request carries a fresh signed token from Pipedrive (§10.3: they live
 * 5 minutes); a 401 for an expired or bad token is retried once with a new one. Errors carry
 * the server's `{ error: { code, message, fix } }` so the page can say what to do.
 */
import type {
  EngagementSummaryResponse,
  PersonEngagementResponse,
} from '../../server/http/routes/engagement.ts';
import type { BudgetResponse, SessionResponse } from '../../server/http/routes/panel.ts';
import type {
  PersonResponse,
  ResyncResponse,
  SubscriptionResponse,
} from '../../server/http/routes/person.ts';
import type {
  ChoicesResponse,
  FieldsResponse,
  RunView,
  SettingsErrorDetail,
  StatusResponse,
} from '../../server/http/routes/sync.ts';
import type { ConnectionSettings } from '../../server/sync/settings.ts';
import type { EngagementApi } from './models/engagement.ts';

export type {
  BudgetResponse,
  ChoicesResponse,
  ConnectionSettings,
  EngagementSummaryResponse,
  FieldsResponse,
  PersonEngagementResponse,
  PersonResponse,
  ResyncResponse,
  RunView,
  SessionResponse,
  SettingsErrorDetail,
  StatusResponse,
  SubscriptionResponse,
};

export type SyncAction = 'dry-run' | 'activate' | 'now' | 'pause' | 'resume';

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fix: string,
    /** The server's `detail`, e.g. the settings problems a refused save names. */
    readonly detail?: unknown,
  ) {
    super(message);
  }
}

export interface Api {
  session(): Promise<SessionResponse>;
  budget(): Promise<BudgetResponse>;
  connectConstantContact(): Promise<{ url: string }>;
  disconnectConstantContact(): Promise<{ ok: boolean }>;
  person(personId: number): Promise<PersonResponse>;
  resyncPerson(personId: number): Promise<ResyncResponse>;
  syncStatus(): Promise<StatusResponse>;
  syncSettings(): Promise<{ settings: ConnectionSettings | null }>;
  syncAction(action: SyncAction): Promise<unknown>;
  /** The live field lists of both accounts ("Refresh fields") and the default mapping. */
  fields(): Promise<FieldsResponse>;
  choices(): Promise<ChoicesResponse>;
  /** Refused with SETTINGS_INVALID or MAPPING_INVALID, `detail` a SettingsErrorDetail. */
  saveSettings(settings: ConnectionSettings): Promise<{ settings: ConnectionSettings }>;
  subscription(personId: number): Promise<SubscriptionResponse>;
}

type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export function createApi(
  signedToken: () => Promise<string>,
  options: { base?: string; fetch?: FetchLike } = {},
): Api & EngagementApi {
  const base = options.base ?? '';
  const doFetch: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));

  async function request<T>(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    body?: unknown,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        const authorization = `Bearer ${await signedToken()}`;
        response = await doFetch(
          `${base}${path}`,
          body === undefined
            ? { method, headers: { authorization } }
            : {
                method,
                headers: { authorization, 'content-type': 'application/json' },
                body: JSON.stringify(body),
              },
        );
      } catch {
        throw new ApiError(
          0,
          'NETWORK',
          'The app could not be reached.',
          'Check your connection and try again.',
        );
      }
      if (response.ok) return (await response.json()) as T;
      const error = await errorOf(response);
      // A token that expired between minting and arrival: one more try with a fresh one.
      if (error.code === 'PANEL_UNAUTHENTICATED' && attempt === 0) continue;
      throw error;
    }
  }

  return {
    session: () => request('GET', '/api/session'),
    budget: () => request('GET', '/api/budget'),
    connectConstantContact: () => request('POST', '/api/constant-contact/connect'),
    disconnectConstantContact: () => request('POST', '/api/constant-contact/disconnect'),
    person: (id) => request('GET', `/api/persons/${id}`),
    resyncPerson: (id) => request('POST', `/api/persons/${id}/resync`),
    syncStatus: () => request('GET', '/api/sync/status'),
    syncSettings: () => request('GET', '/api/settings'),
    syncAction: (action) => request('POST', `/api/sync/${action}`),
    fields: () => request('GET', '/api/fields'),
    choices: () => request('GET', '/api/choices'),
    saveSettings: (settings) => request('PUT', '/api/settings', settings),
    subscription: (id) => request('GET', `/api/persons/${id}/subscription`),
    personEngagement: (id) => request('GET', `/api/persons/${id}/engagement`),
    engagementSummary: () => request('GET', '/api/engagement/summary'),
  };
}

async function errorOf(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as {
      error?: { code?: string; message?: string; fix?: string; detail?: unknown };
    };
    if (body.error?.code && body.error.message) {
      return new ApiError(
        response.status,
        body.error.code,
        body.error.message,
        body.error.fix ?? '',
        body.error.detail,
      );
    }
  } catch {
    // Not our JSON (a proxy's page): fall through to the generic text.
  }
  return new ApiError(
    response.status,
    `HTTP_${response.status}`,
    `The app answered with an unexpected error (${response.status}).`,
    'Try again in a moment.',
  );
}
