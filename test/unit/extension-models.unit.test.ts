/**
 * The extension's models and API client, without a DOM: state transitions, the words the views
 * show, and the token handling of api.ts (a fresh token per request, one retry on a 401).
 * The Api passed to the models is a small in-memory implementation of the interface.
 */
import { describe, expect, it } from 'vitest';
import { type Api, ApiError, createApi, type PersonResponse } from '../../extension/src/api.ts';
import {
  createPanelModel,
  eventLine,
  linkView,
  personIdFromUrl,
} from '../../extension/src/models/panel.ts';
import {
  budgetRows,
  constantContactView,
  createSettingsModel,
  webhookView,
} from '../../extension/src/models/settings.ts';
import {
  actionsFor,
  createSyncModel,
  isMoving,
  planLines,
  progressView,
  scheduleWords,
} from '../../extension/src/models/sync.ts';
import type { SessionResponse } from '../../server/http/routes/panel.ts';
import type { RunView, StatusResponse } from '../../server/http/routes/sync.ts';

const session = (cc: SessionResponse['constantContact']): SessionResponse => ({
  companyId: 1,
  userId: 2,
  company: { name: 'Acme', domain: 'acme' },
  user: { name: 'Ann', email: 'ann@example.org', status: 'active', statusReason: null },
  webhooks: { status: 'ok', error: null, checkedAt: null },
  constantContact: cc,
});

const person = (patch: Partial<PersonResponse> = {}): PersonResponse => ({
  personId: 7,
  connected: true,
  link: null,
  errors: [],
  events: [],
  ...patch,
});

function fakeApi(overrides: Partial<Api> = {}): Api {
  const fail = () => Promise.reject(new Error('not used'));
  return {
    session: fail,
    budget: fail,
    connectConstantContact: fail,
    disconnectConstantContact: fail,
    person: fail,
    resyncPerson: fail,
    syncStatus: fail,
    syncSettings: fail,
    syncAction: fail,
    fields: fail,
    choices: fail,
    saveSettings: fail,
    subscription: fail,
    ...overrides,
  };
}

describe('settings model', () => {
  it('loads session and budget; a failed budget keeps the session and carries the server’s fix', async () => {
    const model = createSettingsModel(
      fakeApi({
        session: async () => session({ connected: false }),
        budget: async () => {
          throw new ApiError(503, 'DATABASE_UNAVAILABLE', 'No database.', 'Start PostgreSQL.');
        },
      }),
      () => {},
    );
    expect(model.store.get().session.status).toBe('loading');
    await model.refresh();
    const state = model.store.get();
    expect(state.session.status).toBe('ready');
    expect(state.budget).toEqual({
      status: 'error',
      error: { code: 'DATABASE_UNAVAILABLE', message: 'No database.', fix: 'Start PostgreSQL.' },
    });
  });

  it('Connect opens the URL the server hands out, then reloads when the page regains focus', async () => {
    const opened: string[] = [];
    let connected = false;
    const model = createSettingsModel(
      fakeApi({
        session: async () =>
          session(
            connected
              ? {
                  connected: true,
                  accountId: 'a1',
                  accountName: 'Shop',
                  status: 'setup',
                  statusReason: null,
                }
              : { connected: false },
          ),
        budget: async () => ({
          pipedrive: { used: 0, limit: 1, left: 1, dailyBudget: 2, share: 0.5, resetsAt: '' },
        }),
        connectConstantContact: async () => ({
          url: 'http://127.0.0.1/auth/constant-contact?ticket=t',
        }),
      }),
      (url) => opened.push(url),
    );
    await model.refresh();
    await model.connect();
    expect(opened).toEqual(['http://127.0.0.1/auth/constant-contact?ticket=t']);
    expect(model.store.get().awaitingConsent).toBe(true);
    connected = true;
    await model.returned();
    const s = model.store.get().session;
    expect(s.status === 'ready' && constantContactView(s.data).headline).toBe('Shop');
  });

  it('describes each connection state with its actions', () => {
    expect(constantContactView(session({ connected: false })).actions).toEqual(['connect']);
    const reauth = constantContactView(
      session({
        connected: true,
        accountId: 'a',
        accountName: 'Shop',
        status: 'needs_reauth',
        statusReason: null,
      }),
    );
    expect(reauth.tone).toBe('warn');
    expect(reauth.actions).toContain('reconnect');
    const broken = webhookView({
      ...session({ connected: false }),
      webhooks: { status: 'failed', error: 'Reinstall the app.', checkedAt: null },
    });
    expect(broken).toMatchObject({ tone: 'warn', fix: 'Reinstall the app.' });
  });

  it('budget rows: used, left and a capped percentage per side', () => {
    const rows = budgetRows({
      pipedrive: { used: 150, limit: 100, left: 0, dailyBudget: 200, share: 0.5, resetsAt: 'x' },
      constantContact: {
        appUsed: 2500,
        appLimit: 10000,
        appLeft: 7500,
        accountUsed: 10,
        resetsAt: 'y',
      },
    });
    expect(rows.map((r) => [r.side, r.percent, r.left])).toEqual([
      ['Pipedrive', 100, 0],
      ['Constant Contact', 25, 7500],
    ]);
  });
});

describe('panel model', () => {
  it('reads the person id from selectedIds', () => {
    expect(personIdFromUrl('?resource=person&selectedIds=42&id=x')).toBe(42);
    expect(personIdFromUrl('?selectedIds=')).toBeNull();
    expect(personIdFromUrl('?selectedIds=abc')).toBeNull();
  });

  it('link states in words', () => {
    expect(linkView(person({ connected: false })).headline).toBe(
      'Constant Contact is not connected',
    );
    expect(linkView(person()).headline).toBe('Not linked to a Constant Contact contact');
    const linked = linkView(
      person({ link: { state: 'active', contactId: 'c', email: 'a@b.c', lastSyncedAt: null } }),
    );
    expect(linked).toMatchObject({ tone: 'ok', detail: 'a@b.c · not synced yet' });
    expect(
      eventLine({
        id: 1,
        at: '',
        direction: 'to_cc',
        kind: 'contact_updated',
        fields: ['email'],
        reason: null,
      }),
    ).toBe('contact updated: email · Pipedrive → Constant Contact');
  });

  it('resync: queued, already queued, or the server’s error', async () => {
    const notified: string[] = [];
    const answers: (boolean | ApiError)[] = [
      true,
      false,
      new ApiError(401, 'PANEL_NOT_INSTALLED', 'Not installed.', 'Install it.'),
    ];
    const model = createPanelModel(
      fakeApi({
        resyncPerson: async () => {
          const next = answers.shift();
          if (next instanceof ApiError) throw next;
          return { queued: next ?? false };
        },
      }),
      7,
      (message) => notified.push(message),
    );
    await model.resync();
    expect(model.store.get().resync).toEqual({ status: 'queued' });
    expect(notified).toEqual(['Resync of this person queued']);
    await model.resync();
    expect(model.store.get().resync).toEqual({ status: 'already_queued' });
    await model.resync();
    expect(model.store.get().resync).toMatchObject({
      status: 'error',
      error: { fix: 'Install it.' },
    });
  });
});

describe('api client', () => {
  it('sends a fresh token per request and retries once after a 401 for the token', async () => {
    const tokens = ['t1', 't2', 't3'];
    const seen: string[] = [];
    const api = createApi(async () => tokens.shift() ?? 'none', {
      fetch: async (_url, init) => {
        const auth = new Headers(init.headers).get('authorization') ?? '';
        seen.push(auth);
        if (auth === 'Bearer t1') {
          return Response.json(
            { error: { code: 'PANEL_UNAUTHENTICATED', message: 'Expired.', fix: 'Reload.' } },
            { status: 401 },
          );
        }
        return Response.json({ queued: true });
      },
    });
    expect(await api.resyncPerson(7)).toEqual({ queued: true });
    expect(seen).toEqual(['Bearer t1', 'Bearer t2']);
  });

  it('turns the server’s error body into an ApiError, and a foreign page into a generic one', async () => {
    const api = createApi(async () => 't', {
      fetch: async (url) =>
        url.endsWith('/api/session')
          ? Response.json(
              {
                error: { code: 'PANEL_NOT_INSTALLED', message: 'Not installed.', fix: 'Install.' },
              },
              { status: 401 },
            )
          : new Response('<html>Bad gateway</html>', { status: 502 }),
    });
    await expect(api.session()).rejects.toMatchObject({
      code: 'PANEL_NOT_INSTALLED',
      fix: 'Install.',
    });
    await expect(api.budget()).rejects.toMatchObject({ code: 'HTTP_502', status: 502 });
  });
});

describe('sync model', () => {
  const run = (patch: Partial<RunView>): RunView => ({
    id: 1,
    kind: 'initial',
    status: 'running',
    phase: 'writing',
    done: 250,
    total: 1000,
    etaSeconds: 600,
    startedAt: null,
    finishedAt: null,
    error: null,
    result: {},
    ...patch,
  });
  const status = (patch: Partial<StatusResponse>): StatusResponse => ({
    status: 'setup',
    statusReason: null,
    contactsInSync: 0,
    ccPollIntervalSeconds: 69,
    lastCcPollAt: null,
    scanIntervalSeconds: null,
    lastScanAt: null,
    lastRun: null,
    lastDryRun: null,
    errors: [],
    ...patch,
  });

  it('progress: percent, counts and ETA in words', () => {
    expect(progressView(run({}))).toEqual({
      title: 'First sync',
      state: 'running',
      percent: 25,
      detail: 'writing · 250 of 1,000 · about 10 min left',
    });
    expect(progressView(run({ total: null, etaSeconds: null, phase: null })).percent).toBeNull();
  });

  it('the dry-run plan in words, leaving bookkeeping out', () => {
    expect(
      planLines({
        counts: { link: 120, create_contact: 30, nothing: 5, exclude: 4 },
        excluded: { EMAIL_MISSING: 3, EMAIL_INVALID: 1 },
        duplicates: 2,
        conflicts: { job_title: { pipedrive: 1, constant_contact: 2 } },
      }),
    ).toEqual([
      '120 to link by email',
      '30 contacts to create in Constant Contact',
      '4 excluded (no valid email, …)',
      '2 duplicates',
      'conflicts in: job_title',
    ]);
  });

  it('offers the actions the connection state allows, and polls only while a run moves', () => {
    expect(actionsFor(status({}), false)).toEqual([]);
    expect(actionsFor(status({}), true)).toEqual(['dry-run', 'activate']);
    expect(actionsFor(status({ status: 'active' }), true)).toEqual(['now', 'pause']);
    expect(actionsFor(status({ status: 'paused' }), true)).toEqual(['resume']);
    expect(isMoving(status({ lastRun: run({ status: 'completed' }) }))).toBe(false);
    expect(isMoving(status({ lastDryRun: run({ status: 'queued' }) }))).toBe(true);
  });

  it('an action refreshes the status; a refusal keeps the server’s fix', async () => {
    let current = status({ status: 'active' });
    const notified: string[] = [];
    const model = createSyncModel(
      fakeApi({
        syncStatus: async () => current,
        syncSettings: async () => ({ settings: null }),
        syncAction: async (action) => {
          if (action === 'now') {
            throw new ApiError(409, 'SYNC_NOT_ACTIVE', 'Not active.', 'Activate it.');
          }
          current = status({ status: 'paused' });
          return { status: 'paused' };
        },
      }),
      (m) => notified.push(m),
    );
    await model.refresh();
    await model.run('pause');
    const s = model.store.get().status;
    expect(s.status === 'ready' && s.data.status).toBe('paused');
    expect(notified).toEqual(['Sync paused']);
    await model.run('now');
    expect(model.store.get().actionError).toMatchObject({
      code: 'SYNC_NOT_ACTIVE',
      fix: 'Activate it.',
    });
  });
});

describe('scheduleWords (how fresh the sync keeps things)', () => {
  const base = {
    status: 'active',
    statusReason: null,
    contactsInSync: 3,
    lastRun: null,
    lastDryRun: null,
    errors: [],
    ccPollIntervalSeconds: 104,
    lastCcPollAt: '2026-11-26T10:00:00Z',
    scanIntervalSeconds: 3600,
    lastScanAt: null,
  } satisfies StatusResponse;
  const now = Date.parse('2026-11-26T10:03:00Z');

  it('says how often CC is polled and the scan runs, and when each last ran', () => {
    expect(scheduleWords(base, now)).toEqual([
      'Constant Contact is checked for changes and opt-outs every 2 min (last 3 min ago).',
      'Filter and list membership and Constant Contact deletes are rescanned every 60 min (not yet).',
    ]);
  });

  it('says nothing while the sync is not active', () => {
    expect(scheduleWords({ ...base, status: 'paused' }, now)).toEqual([]);
  });
});
