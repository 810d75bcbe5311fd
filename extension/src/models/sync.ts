/**
 * The settings page's sync section: status (progress, unique contacts, the last run and
 * dry-run, errors grouped by code with their fix), the saved settings in words, and the
 * actions (dry-run, activate, Sync now, pause, resume). Data from server/http/routes/sync.ts.
 */
import type { Api, ConnectionSettings, RunView, StatusResponse, SyncAction } from '../api.ts';
import { type ErrorView, type Load, load, Store, toErrorView } from './store.ts';

export interface SyncState {
  status: Load<StatusResponse>;
  settings: Load<{ settings: ConnectionSettings | null }>;
  busy: SyncAction | null;
  actionError: ErrorView | null;
}

export type SyncModel = ReturnType<typeof createSyncModel>;

const DONE: Record<SyncAction, string> = {
  'dry-run': 'Dry-run started',
  activate: 'Sync activated: the first sync started',
  now: 'Sync started',
  pause: 'Sync paused',
  resume: 'Sync resumed',
};

export function createSyncModel(api: Api, notify: (message: string) => void = () => {}) {
  const store = new Store<SyncState>({
    status: { status: 'loading' },
    settings: { status: 'loading' },
    busy: null,
    actionError: null,
  });
  const refresh = async () => {
    const [status, settings] = await Promise.all([load(api.syncStatus), load(api.syncSettings)]);
    store.set({ status, settings });
  };
  return {
    store,
    refresh,
    async run(action: SyncAction): Promise<void> {
      store.set({ busy: action, actionError: null });
      try {
        await api.syncAction(action);
        notify(DONE[action]);
        await refresh();
      } catch (error) {
        store.set({ actionError: toErrorView(error) });
      } finally {
        store.set({ busy: null });
      }
    },
  };
}

/** A run is worth re-reading every few seconds while it is queued or running. */
export function isMoving(status: StatusResponse): boolean {
  return [status.lastRun, status.lastDryRun].some(
    (run) => run?.status === 'queued' || run?.status === 'running',
  );
}

export function actionsFor(status: StatusResponse, hasSettings: boolean): SyncAction[] {
  switch (status.status) {
    case 'active':
      return ['now', 'pause'];
    case 'paused':
      return ['resume'];
    case 'needs_reauth':
      return [];
    default:
      return hasSettings ? ['dry-run', 'activate'] : [];
  }
}

export const ACTION_LABELS: Record<SyncAction, string> = {
  'dry-run': 'Preview the first sync (dry-run)',
  activate: 'Activate the sync',
  now: 'Sync now',
  pause: 'Pause',
  resume: 'Resume',
};

const STATUS_WORDS: Record<string, string> = {
  setup: 'Not active yet',
  active: 'Active',
  paused: 'Paused',
  needs_reauth: 'Stopped: reconnect needed',
};

export function statusWords(status: StatusResponse): string {
  return [STATUS_WORDS[status.status] ?? status.status, status.statusReason]
    .filter(Boolean)
    .join(' · ');
}

export interface ProgressView {
  title: string;
  state: string;
  /** 0–100 when the total is known. */
  percent: number | null;
  detail: string;
}

const KIND_WORDS: Record<string, string> = {
  initial: 'First sync',
  dry_run: 'Dry-run',
  scan: 'Sync now',
};

export function progressView(run: RunView): ProgressView {
  const percent =
    run.total && run.total > 0 ? Math.min(100, Math.round((run.done / run.total) * 100)) : null;
  const counted = run.total
    ? `${run.done.toLocaleString('en')} of ${run.total.toLocaleString('en')}`
    : `${run.done.toLocaleString('en')} done`;
  const eta = run.etaSeconds !== null ? `about ${formatDuration(run.etaSeconds)} left` : null;
  return {
    title: KIND_WORDS[run.kind] ?? run.kind,
    state: run.status,
    percent,
    detail: [run.phase, counted, eta, run.error].filter(Boolean).join(' · '),
  };
}

/**
 * How fresh the sync keeps things, for an active connection: how often Constant Contact is
 * polled (changes and opt-outs) and how often the full scan runs (filter and list membership,
 * CC deletes), with when each last ran. Both intervals follow the API budgets.
 */
export function scheduleWords(status: StatusResponse, now: number = Date.now()): string[] {
  if (status.status !== 'active') return [];
  const ago = (at: string | null) =>
    at ? `last ${formatDuration(Math.max(0, (now - Date.parse(at)) / 1000))} ago` : 'not yet';
  const lines = [
    `Constant Contact is checked for changes and opt-outs every ${formatDuration(status.ccPollIntervalSeconds)} (${ago(status.lastCcPollAt)}).`,
  ];
  if (status.scanIntervalSeconds !== null)
    lines.push(
      `Filter and list membership and Constant Contact deletes are rescanned every ${formatDuration(status.scanIntervalSeconds)} (${ago(status.lastScanAt)}).`,
    );
  return lines;
}

export function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

/** Plan actions in words; bookkeeping kinds (nothing, exclude, mark/move link) are not shown. */
const ACTION_WORDS: Record<string, string> = {
  link: 'to link by email',
  create_contact: 'contacts to create in Constant Contact',
  revive_contact: 'deleted contacts to recreate in Constant Contact',
  create_person: 'persons to create in Pipedrive',
  update_contact: 'contacts to update',
  update_person: 'persons to update',
  record_error: 'with an error to fix',
};

/** The dry-run's counts as lines the admin reads before activating (DESIGN §3). */
export function planLines(result: RunView['result']): string[] {
  const lines = Object.entries(result.counts ?? {})
    .filter(([kind, n]) => (n ?? 0) > 0 && kind in ACTION_WORDS)
    .map(([kind, n]) => `${(n ?? 0).toLocaleString('en')} ${ACTION_WORDS[kind]}`);
  const excluded = Object.values(result.excluded ?? {}).reduce((a, b) => a + b, 0);
  if (excluded > 0) lines.push(`${excluded.toLocaleString('en')} excluded (no valid email, …)`);
  if (result.duplicates) lines.push(`${result.duplicates.toLocaleString('en')} duplicates`);
  const conflicts = Object.entries(result.conflicts ?? {});
  if (conflicts.length > 0) lines.push(`conflicts in: ${conflicts.map(([f]) => f).join(', ')}`);
  return lines;
}

/** A mapping row id (`person:job_title|job_title`) as the admin reads it. */
function fieldWords(rowId: string): string {
  return rowId.replace(/^person:/, '').replace('|', ' ⇄ ');
}

/**
 * The dry-run's details under its counts: each conflicting field with how many values each
 * side's win keeps, and a few example emails per planned action (DESIGN §3 "samples").
 */
export function planDetails(result: RunView['result']): { conflicts: string[]; samples: string[] } {
  const conflicts = Object.entries(result.conflicts ?? {}).map(([field, won]) => {
    const kept = [
      won.pipedrive > 0 ? `${won.pipedrive.toLocaleString('en')} keep Pipedrive’s value` : null,
      won.constant_contact > 0
        ? `${won.constant_contact.toLocaleString('en')} keep Constant Contact’s value`
        : null,
    ];
    return `${fieldWords(field)}: ${kept.filter(Boolean).join(', ')}`;
  });
  const samples = Object.entries(result.samples ?? {})
    .filter(([kind]) => kind in ACTION_WORDS)
    .map(([kind, items]) => {
      const emails = (items ?? []).map((i) => i.email).filter(Boolean);
      return emails.length > 0 ? `${ACTION_WORDS[kind]}: e.g. ${emails.join(', ')}` : null;
    })
    .filter((line): line is string => line !== null);
  return { conflicts, samples };
}

const DIRECTION_WORDS: Record<ConnectionSettings['direction'], string> = {
  two_way: 'Two-way',
  to_cc: 'Pipedrive → Constant Contact',
  to_pipedrive: 'Constant Contact → Pipedrive',
};

export function settingsLines(settings: ConnectionSettings): string[] {
  return [
    `Direction: ${DIRECTION_WORDS[settings.direction]}`,
    `Pipedrive persons: ${settings.pipedriveSource.kind === 'all' ? 'all' : `${settings.pipedriveSource.filterIds.length} filter(s)`}`,
    `Constant Contact contacts: ${settings.ccSource.kind === 'all' ? 'all' : `${settings.ccSource.listIds.length} list(s)`}`,
    `Fields mapped: ${settings.mapping.length} (and email)`,
    `On conflict: ${settings.conflictWinner === 'pipedrive' ? 'Pipedrive wins' : 'Constant Contact wins'}`,
    `Engagement: ${engagementWords(settings.engagement)}`,
  ];
}

function engagementWords(e: ConnectionSettings['engagement'] | undefined): string {
  if (!e) return 'not set';
  const events = (['opens', 'clicks', 'optouts', 'bounces'] as const).filter((k) => e[k]);
  if (events.length === 0) return 'not recorded';
  const names = events.map((k) => (k === 'optouts' ? 'opt-outs' : k)).join(', ');
  const bursts = e.opens && e.openBursts ? ' (one entry per burst of opens)' : '';
  return `${names} as ${e.recordAs}${bursts}, from ${e.historyDays} days back`;
}
