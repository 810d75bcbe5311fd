/**
 * The settings editor's state: a draft of the connection settings (direction, sources, target
 * lists, owner, field mapping, conflict winner, engagement), the choices and fields it is
 * edited against (loaded from the APIs), and Save. Mapping rows are checked as they are
 * edited with the server's own function (server/sync/mapping.ts), so a row's problem shows
 * next to it in the server's words; Save is refused while any remain, and the server checks
 * again against the live fields and answers with per-setting or per-row problems.
 */

import type { SettingsIssue } from '../../../server/http/routes/sync.ts';
import { ccKey, pipedriveKey } from '../../../server/sync/core/fields.ts';
import {
  ccRefOf,
  type MappingProblem,
  type MappingRow,
  pipedriveRefOf,
  validateMapping,
} from '../../../server/sync/mapping.ts';
import type { Api, ChoicesResponse, ConnectionSettings, FieldsResponse } from '../api.ts';
import { type ErrorView, type Load, load, Store, toErrorView } from './store.ts';

export type Draft = ConnectionSettings;

export interface EditorState {
  fields: Load<FieldsResponse>;
  choices: Load<ChoicesResponse>;
  draft: Draft | null;
  refreshing: boolean;
  saving: boolean;
  /** Set by a Save: from then on, incomplete choices are marked. */
  attempted: boolean;
  /** What the server refused at the last Save (settings by path, rows by index). */
  serverIssues: SettingsIssue[];
  serverProblems: MappingProblem[];
  saveError: ErrorView | null;
}

export type EditorModel = ReturnType<typeof createEditorModel>;

export const DEFAULT_ENGAGEMENT: Draft['engagement'] = {
  opens: true,
  clicks: true,
  optouts: true,
  bounces: true,
  recordAs: 'activities',
  historyDays: 90,
};

/** A new connection's draft: two-way, everything, the default mapping offered for the accounts. */
export function newDraft(fields: FieldsResponse): Draft {
  return {
    direction: 'two_way',
    pipedriveSource: { kind: 'all' },
    ccSource: { kind: 'all' },
    targetListIds: [],
    mapping: fields.defaultMapping,
    conflictWinner: 'pipedrive',
    engagement: DEFAULT_ENGAGEMENT,
  };
}

export function createEditorModel(
  api: Api,
  options: { notify?: (message: string) => void; saved?: () => Promise<void> } = {},
) {
  const store = new Store<EditorState>({
    fields: { status: 'loading' },
    choices: { status: 'loading' },
    draft: null,
    refreshing: false,
    saving: false,
    attempted: false,
    serverIssues: [],
    serverProblems: [],
    saveError: null,
  });
  const draft = (): Draft => {
    const current = store.get().draft;
    if (!current) throw new Error('The editor has not loaded yet.');
    return current;
  };
  const edit = (patch: Partial<Draft>) =>
    store.set({ draft: { ...draft(), ...patch }, serverIssues: [], serverProblems: [] });
  const setMapping = (mapping: MappingRow[]) => edit({ mapping });

  return {
    store,
    /** Loads the fields and choices; the draft starts from the saved settings, or a new one. */
    async start(saved: ConnectionSettings | null): Promise<void> {
      store.set({ fields: { status: 'loading' }, choices: { status: 'loading' } });
      const [fields, choices] = await Promise.all([load(api.fields), load(api.choices)]);
      store.set({
        fields,
        choices,
        attempted: false,
        serverIssues: [],
        serverProblems: [],
        saveError: null,
        draft: saved
          ? { ...saved, engagement: saved.engagement ?? DEFAULT_ENGAGEMENT }
          : fields.status === 'ready'
            ? newDraft(fields.data)
            : null,
      });
    },
    /** "Refresh fields": both accounts' field lists again; the rows are checked against them. */
    async refreshFields(): Promise<void> {
      store.set({ refreshing: true });
      const fields = await load(api.fields);
      store.set({ refreshing: false, ...(fields.status === 'ready' ? { fields } : {}) });
      if (fields.status === 'error') store.set({ saveError: fields.error });
    },
    async retryChoices(): Promise<void> {
      store.set({ choices: { status: 'loading' } });
      store.set({ choices: await load(api.choices) });
    },
    edit,
    toggleFilter(id: number, on: boolean) {
      const current = draft().pipedriveSource;
      const ids = current.kind === 'filters' ? current.filterIds : [];
      edit({ pipedriveSource: { kind: 'filters', filterIds: toggled(ids, id, on) } });
    },
    toggleSourceList(id: string, on: boolean) {
      const current = draft().ccSource;
      const ids = current.kind === 'lists' ? current.listIds : [];
      edit({ ccSource: { kind: 'lists', listIds: toggled(ids, id, on) } });
    },
    toggleTargetList(id: string, on: boolean) {
      edit({ targetListIds: toggled(draft().targetListIds, id, on) });
    },
    setEngagement(patch: Partial<Draft['engagement']>) {
      edit({ engagement: { ...draft().engagement, ...patch } });
    },
    /** Changes one side of a row by field key (`FieldInfo.key`), or its direction. */
    setRow(
      index: number,
      patch: { pipedrive?: string; cc?: string; direction?: MappingRow['direction'] },
    ) {
      const rows = [...draft().mapping];
      const row = rows[index];
      if (!row) return;
      const pipedrive =
        patch.pipedrive === undefined ? row.pipedrive : pipedriveRefOf(patch.pipedrive);
      const cc = patch.cc === undefined ? row.cc : ccRefOf(patch.cc);
      if (!pipedrive || !cc) return;
      rows[index] = { pipedrive, cc, direction: patch.direction ?? row.direction };
      setMapping(rows);
    },
    /** A new row: the first fields not mapped yet, both ways; the admin picks from there. */
    addRow() {
      const fields = store.get().fields;
      if (fields.status !== 'ready') return;
      const rows = draft().mapping;
      const usedPd = new Set(rows.map((r) => pipedriveKey(r.pipedrive)));
      const usedCc = new Set(rows.map((r) => ccKey(r.cc)));
      const pd = fields.data.available.pipedrive.find(
        (f) =>
          !usedPd.has(f.key) && !f.readOnly && f.type !== 'unsupported' && f.key !== 'person:email',
      );
      const cc = fields.data.available.cc.find(
        (f) => !usedCc.has(f.key) && !f.readOnly && f.type !== 'unsupported',
      );
      const pipedrive = pd && pipedriveRefOf(pd.key);
      const ccRef = cc && ccRefOf(cc.key);
      if (!pipedrive || !ccRef) return;
      setMapping([...rows, { pipedrive, cc: ccRef, direction: 'both' }]);
    },
    removeRow(index: number) {
      setMapping(draft().mapping.filter((_, i) => i !== index));
    },
    useDefaultMapping() {
      const fields = store.get().fields;
      if (fields.status === 'ready') setMapping(fields.data.defaultMapping);
    },
    /** Saves when nothing is left to fix here; true when the server took the settings. */
    async save(): Promise<boolean> {
      store.set({ attempted: true, saveError: null });
      const state = store.get();
      if (!state.draft) return false;
      if (draftIssues(state.draft).length > 0 || mappingProblems(state).length > 0) return false;
      store.set({ saving: true });
      try {
        await api.saveSettings(state.draft);
        store.set({ attempted: false });
        options.notify?.('Sync settings saved');
        await options.saved?.();
        return true;
      } catch (error) {
        const view = toErrorView(error);
        const detail = (error as { detail?: unknown }).detail;
        store.set({
          saveError: view,
          serverIssues:
            view.code === 'SETTINGS_INVALID' ? asList<SettingsIssue>(detail, 'path') : [],
          serverProblems:
            view.code === 'MAPPING_INVALID' ? asList<MappingProblem>(detail, 'row') : [],
        });
        return false;
      } finally {
        store.set({ saving: false });
      }
    },
  };
}

function toggled<T>(ids: T[], id: T, on: boolean): T[] {
  const rest = ids.filter((x) => x !== id);
  return on ? [...rest, id] : rest;
}

function asList<T>(detail: unknown, key: string): T[] {
  return Array.isArray(detail)
    ? detail.filter((d): d is T => d !== null && typeof d === 'object' && key in d)
    : [];
}

/**
 * The choices the server would refuse, found before sending (same rules as the schema's in
 * server/sync/settings.ts), by the path the server would name.
 */
export function draftIssues(draft: Draft): SettingsIssue[] {
  const issues: SettingsIssue[] = [];
  if (draft.direction !== 'to_pipedrive') {
    if (draft.pipedriveSource.kind === 'filters' && draft.pipedriveSource.filterIds.length === 0)
      issues.push({ path: 'pipedriveSource', message: 'Choose at least one filter.' });
    if (draft.targetListIds.length === 0)
      issues.push({
        path: 'targetListIds',
        message: 'Choose at least one Constant Contact list for the contacts the app creates.',
      });
  }
  if (draft.direction !== 'to_cc') {
    if (draft.ccSource.kind === 'lists' && draft.ccSource.listIds.length === 0)
      issues.push({ path: 'ccSource', message: 'Choose at least one list.' });
    if (draft.newPersonOwnerId === undefined)
      issues.push({
        path: 'newPersonOwnerId',
        message: 'Choose the Pipedrive user who will own the persons the app creates.',
      });
  }
  return issues;
}

/** Problems of the draft's rows against the loaded fields, plus any the server named. */
export function mappingProblems(state: EditorState): MappingProblem[] {
  if (!state.draft || state.fields.status !== 'ready') return state.serverProblems;
  const local = validateMapping(
    state.draft.mapping,
    state.fields.data.available,
    state.draft.direction,
  );
  const seen = new Set(local.map((p) => `${p.row}:${p.message}`));
  return [...local, ...state.serverProblems.filter((p) => !seen.has(`${p.row}:${p.message}`))];
}

/** What to mark next to a setting: the server's word, or ours once a Save was tried. */
export function issueFor(state: EditorState, path: string): string | null {
  const server = state.serverIssues.find((i) => i.path === path || i.path.startsWith(`${path}.`));
  if (server) return server.message;
  if (!state.attempted || !state.draft) return null;
  return draftIssues(state.draft).find((i) => i.path === path)?.message ?? null;
}

/**
 * The items of a searchable choice list: those whose name contains the query (any case);
 * the chosen ones stay visible whatever the query, so a choice is never hidden.
 */
export function searchChoices<T extends { id: number | string; name: string }>(
  items: T[],
  query: string,
  chosen: readonly (number | string)[],
): T[] {
  const q = query.trim().toLowerCase();
  if (!q) return items;
  return items.filter((item) => chosen.includes(item.id) || item.name.toLowerCase().includes(q));
}

const TYPE_WORDS: Record<string, string> = {
  text: 'text',
  phone: 'phone',
  date: 'date',
  birthday: 'birthday',
  number: 'number',
  option: 'single option',
  options: 'multiple options',
  address: 'address',
  unsupported: 'not supported',
};

/** A field as its select option reads: label, type and read-only (so problems make sense). */
export function fieldLabel(field: {
  key: string;
  label: string;
  type: string;
  readOnly: boolean;
}): string {
  const entity = field.key.startsWith('organization:') ? 'Organization · ' : '';
  const notes = [TYPE_WORDS[field.type] ?? field.type, field.readOnly ? 'read-only' : null]
    .filter(Boolean)
    .join(', ');
  return `${entity}${field.label} (${notes})`;
}
