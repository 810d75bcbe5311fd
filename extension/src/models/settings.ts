/**
 * The settings page's state: the session (both connections, webhooks) and the API budgets,
 * and the Connect / Disconnect actions. The view only renders what these functions return.
 */
import type { Api, BudgetResponse, SessionResponse } from '../api.ts';
import { type ErrorView, type Load, load, Store, toErrorView } from './store.ts';

export interface SettingsState {
  session: Load<SessionResponse>;
  budget: Load<BudgetResponse>;
  busy: 'connect' | 'disconnect' | null;
  actionError: ErrorView | null;
  /** Set after Connect opened the consent window: the page reloads when it regains focus. */
  awaitingConsent: boolean;
}

export type SettingsModel = ReturnType<typeof createSettingsModel>;

/** `notify` shows a short confirmation in Pipedrive (the SDK's snackbar). */
export function createSettingsModel(
  api: Api,
  openWindow: (url: string) => void,
  notify: (message: string) => void = () => {},
) {
  const store = new Store<SettingsState>({
    session: { status: 'loading' },
    budget: { status: 'loading' },
    busy: null,
    actionError: null,
    awaitingConsent: false,
  });

  async function refresh(): Promise<void> {
    const [session, budget] = await Promise.all([load(api.session), load(api.budget)]);
    store.set({ session, budget });
  }

  return {
    store,
    refresh,
    /** Connect or Reconnect: CC's consent page opens in a new window (it cannot be framed). */
    async connect(): Promise<void> {
      store.set({ busy: 'connect', actionError: null });
      try {
        const { url } = await api.connectConstantContact();
        openWindow(url);
        store.set({ awaitingConsent: true });
      } catch (error) {
        store.set({ actionError: toErrorView(error) });
      } finally {
        store.set({ busy: null });
      }
    },
    async disconnect(): Promise<void> {
      store.set({ busy: 'disconnect', actionError: null });
      try {
        await api.disconnectConstantContact();
        await refresh();
        notify('Constant Contact disconnected');
      } catch (error) {
        store.set({ actionError: toErrorView(error) });
      } finally {
        store.set({ busy: null });
      }
    },
    /** The consent window closed and focus came back: show the new state. */
    async returned(): Promise<void> {
      if (!store.get().awaitingConsent) return;
      store.set({ awaitingConsent: false });
      await refresh();
    },
  };
}

export interface ConnectionView {
  tone: 'ok' | 'warn' | 'off';
  headline: string;
  detail: string | null;
  actions: ('connect' | 'reconnect' | 'disconnect')[];
}

const CONNECTION_STATUS: Record<string, string> = {
  setup: 'Connected; the sync is not set up yet.',
  active: 'Connected; the sync is running.',
  paused: 'Connected; the sync is paused.',
  needs_reauth: 'Constant Contact no longer accepts the app’s authorisation.',
};

export function constantContactView(session: SessionResponse): ConnectionView {
  const cc = session.constantContact;
  if (!cc.connected) {
    return {
      tone: 'off',
      headline: 'Not connected',
      detail: 'Connect the Constant Contact account to sync with.',
      actions: ['connect'],
    };
  }
  const reauth = cc.status === 'needs_reauth';
  return {
    tone: reauth ? 'warn' : 'ok',
    headline: cc.accountName ?? cc.accountId ?? 'Connected account',
    detail: [CONNECTION_STATUS[cc.status] ?? cc.status, cc.statusReason].filter(Boolean).join(' '),
    actions: ['reconnect', 'disconnect'],
  };
}

export function pipedriveView(session: SessionResponse): ConnectionView {
  const ok = session.user.status === 'active';
  return {
    tone: ok ? 'ok' : 'warn',
    headline: session.company.name ?? `Company ${session.companyId}`,
    detail: [
      session.company.domain ? `${session.company.domain}.pipedrive.com` : null,
      session.user.name ? `installed by ${session.user.name}` : null,
      ok ? null : (session.user.statusReason ?? `installation ${session.user.status}`),
    ]
      .filter(Boolean)
      .join(' · '),
    actions: [],
  };
}

export interface WebhookView {
  tone: 'ok' | 'warn';
  headline: string;
  fix: string | null;
  checkedAt: string | null;
}

export function webhookView(session: SessionResponse): WebhookView {
  const { status, error, checkedAt } = session.webhooks;
  return status === 'ok'
    ? { tone: 'ok', headline: 'Receiving Pipedrive changes', fix: null, checkedAt }
    : {
        tone: 'warn',
        headline: `Pipedrive changes are not arriving (${status})`,
        fix: error ?? 'Reinstall the app so it can register its webhook again.',
        checkedAt,
      };
}

export interface BudgetRow {
  side: 'Pipedrive' | 'Constant Contact';
  what: string;
  used: number;
  limit: number;
  left: number;
  /** 0–100, for the bar. */
  percent: number;
  resetsAt: string;
}

export function budgetRows(budget: BudgetResponse): BudgetRow[] {
  const percent = (used: number, limit: number) =>
    limit > 0 ? Math.min(100, Math.round((used / limit) * 100)) : 0;
  const p = budget.pipedrive;
  const rows: BudgetRow[] = [
    {
      side: 'Pipedrive',
      what: `API tokens today (the app may spend ${Math.round(p.share * 100)}% of ${p.dailyBudget.toLocaleString('en')})`,
      used: p.used,
      limit: p.limit,
      left: p.left,
      percent: percent(p.used, p.limit),
      resetsAt: p.resetsAt,
    },
  ];
  const cc = budget.constantContact;
  if (cc) {
    rows.push({
      side: 'Constant Contact',
      what: `requests today, shared by every account on this app (${cc.accountUsed.toLocaleString('en')} for yours)`,
      used: cc.appUsed,
      limit: cc.appLimit,
      left: cc.appLeft,
      percent: percent(cc.appUsed, cc.appLimit),
      resetsAt: cc.resetsAt,
    });
  }
  return rows;
}
