/**
 * The settings editor's model and the panel's subscription, without a DOM: the draft the
 * editor starts from, row edits checked with the server's own rules, what Save sends or
 * refuses, and how the server's per-setting and per-row problems come back to the view.
 * The Api is a small in-memory implementation of the interface.
 */
import { describe, expect, it } from 'vitest';
import {
  type Api,
  ApiError,
  type ChoicesResponse,
  type ConnectionSettings,
  type FieldsResponse,
  type SubscriptionResponse,
} from '../../extension/src/api.ts';
import {
  createEditorModel,
  draftIssues,
  fieldLabel,
  issueFor,
  mappingProblems,
  searchChoices,
} from '../../extension/src/models/editor.ts';
import { createPanelModel, subscriptionView } from '../../extension/src/models/panel.ts';
import { planDetails, settingsLines } from '../../extension/src/models/sync.ts';
import { ccStandardFields, type FieldInfo } from '../../server/sync/core/fields.ts';
import { ccRefOf, defaultMapping, pipedriveRefOf } from '../../server/sync/mapping.ts';

const pd = (key: string, label: string, type: FieldInfo['type'], readOnly = false): FieldInfo => ({
  side: 'pipedrive',
  key,
  label,
  type,
  readOnly,
});
const available = {
  pipedrive: [
    pd('person:first_name', 'First name', 'text'),
    pd('person:last_name', 'Last name', 'text'),
    pd('person:job_title', 'Job title', 'text'),
    pd('person:birthday', 'Birthday', 'date'),
    pd('organization:name', 'Organization', 'text', true),
  ],
  cc: ccStandardFields(),
};
const fields: FieldsResponse = {
  available,
  defaultMapping: defaultMapping(available),
  problems: [],
};
const choices: ChoicesResponse = {
  filters: [
    { id: 1, name: 'Customers' },
    { id: 2, name: 'Leads in Berlin' },
  ],
  lists: [{ id: 'l-1', name: 'Newsletter', members: 12 }],
  users: [{ id: 7, name: 'Ann', email: 'ann@example.org' }],
};

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
    fields: async () => fields,
    choices: async () => choices,
    saveSettings: fail,
    subscription: fail,
    ...overrides,
  };
}

describe('settings editor model', () => {
  it('starts a new connection two-way, on everything, with the default mapping', async () => {
    const model = createEditorModel(fakeApi());
    await model.start(null);
    const { draft, choices: loaded } = model.store.get();
    expect(draft).toMatchObject({
      direction: 'two_way',
      pipedriveSource: { kind: 'all' },
      ccSource: { kind: 'all' },
      targetListIds: [],
      conflictWinner: 'pipedrive',
    });
    expect(draft?.mapping).toEqual(fields.defaultMapping);
    expect(draft?.mapping.length).toBeGreaterThan(0);
    expect(loaded.status).toBe('ready');
  });

  it('explains a refused row at once, in the server’s words, and clears it when fixed', async () => {
    const model = createEditorModel(fakeApi());
    await model.start(null);
    model.edit({ mapping: fields.defaultMapping.slice(0, 2) });
    model.addRow();
    const rows = model.store.get().draft!.mapping;
    const last = rows.length - 1;
    expect(last).toBe(2);
    // Pipedrive's read-only organization name cannot be written from Constant Contact.
    model.setRow(last, { pipedrive: 'organization:name', cc: 'company_name', direction: 'both' });
    const problems = mappingProblems(model.store.get());
    expect(problems).toEqual([expect.objectContaining({ row: last, code: 'READ_ONLY' })]);
    expect(problems[0]!.message).toContain('“Organization” is read-only');
    model.setRow(last, { direction: 'to_cc' });
    expect(mappingProblems(model.store.get())).toEqual([]);
    model.removeRow(last);
    expect(model.store.get().draft!.mapping).toHaveLength(rows.length - 1);
  });

  it('does not send settings with an open problem, and marks what is missing', async () => {
    let sent = 0;
    const model = createEditorModel(
      fakeApi({
        saveSettings: async (settings) => {
          sent++;
          return { settings };
        },
      }),
    );
    await model.start(null);
    model.edit({ pipedriveSource: { kind: 'filters', filterIds: [] } });
    expect(issueFor(model.store.get(), 'targetListIds')).toBeNull(); // not before a Save
    expect(await model.save()).toBe(false);
    expect(sent).toBe(0);
    const state = model.store.get();
    expect(issueFor(state, 'targetListIds')).toContain('Constant Contact list');
    expect(issueFor(state, 'newPersonOwnerId')).toContain('own the persons');
    expect(issueFor(state, 'pipedriveSource')).toBe('Choose at least one filter.');

    model.toggleFilter(2, true);
    model.toggleTargetList('l-1', true);
    model.edit({ newPersonOwnerId: 7 });
    expect(draftIssues(model.store.get().draft!)).toEqual([]);
    expect(await model.save()).toBe(true);
    expect(sent).toBe(1);
  });

  it('sends the whole draft and reloads the sync section after a save', async () => {
    let saved: ConnectionSettings | undefined;
    let reloaded = 0;
    const notes: string[] = [];
    const model = createEditorModel(
      fakeApi({
        saveSettings: async (settings) => {
          saved = settings;
          return { settings };
        },
      }),
      { notify: (m) => notes.push(m), saved: async () => void reloaded++ },
    );
    await model.start(null);
    model.edit({ direction: 'to_cc' });
    model.toggleTargetList('l-1', true);
    model.setEngagement({ clicks: false, recordAs: 'notes', historyDays: 30 });
    expect(await model.save()).toBe(true);
    expect(saved).toMatchObject({
      direction: 'to_cc',
      targetListIds: ['l-1'],
      engagement: { opens: true, clicks: false, recordAs: 'notes', historyDays: 30 },
    });
    expect(reloaded).toBe(1);
    expect(notes).toEqual(['Sync settings saved']);
  });

  it('puts the server’s per-setting and per-row problems next to what they name', async () => {
    const refusals = [
      new ApiError(400, 'SETTINGS_INVALID', 'The sync settings are incomplete.', 'Complete them.', [
        { path: 'targetListIds', message: 'That list was deleted.' },
      ]),
      new ApiError(400, 'MAPPING_INVALID', 'The field mapping refers to…', 'Refresh fields.', [
        { row: 0, code: 'FIELD_MISSING', message: 'This row uses a field that no longer exists.' },
      ]),
    ];
    const model = createEditorModel(
      fakeApi({
        saveSettings: () => Promise.reject(refusals.shift()),
      }),
    );
    await model.start(null);
    model.edit({ direction: 'to_cc' });
    model.toggleTargetList('l-1', true);
    expect(await model.save()).toBe(false);
    expect(issueFor(model.store.get(), 'targetListIds')).toBe('That list was deleted.');
    expect(model.store.get().saveError?.code).toBe('SETTINGS_INVALID');

    expect(await model.save()).toBe(false);
    expect(mappingProblems(model.store.get())).toContainEqual(
      expect.objectContaining({ row: 0, code: 'FIELD_MISSING' }),
    );
    // An edit starts over: what the server said was about the draft it saw.
    model.edit({ conflictWinner: 'constant_contact' });
    expect(mappingProblems(model.store.get())).toEqual([]);
  });

  it('shows the error when the fields cannot be loaded, and has no draft to edit', async () => {
    const model = createEditorModel(
      fakeApi({
        fields: () =>
          Promise.reject(new ApiError(503, 'PROVIDER_UNAVAILABLE', 'Down.', 'Try later.')),
      }),
    );
    await model.start(null);
    expect(model.store.get().fields).toMatchObject({
      status: 'error',
      error: { code: 'PROVIDER_UNAVAILABLE' },
    });
    expect(model.store.get().draft).toBeNull();
  });
});

describe('Refresh fields', () => {
  it('marks a row whose field is gone after a refresh, instead of dropping it', async () => {
    let current = fields;
    const model = createEditorModel(fakeApi({ fields: async () => current }));
    await model.start(null);
    expect(mappingProblems(model.store.get())).toEqual([]);
    const rows = model.store.get().draft!.mapping;
    const jobRow = rows.findIndex((r) => r.pipedrive.key === 'job_title');
    current = {
      ...fields,
      available: {
        ...available,
        pipedrive: available.pipedrive.filter((f) => f.key !== 'person:job_title'),
      },
    };
    await model.refreshFields();
    expect(model.store.get().draft!.mapping).toHaveLength(rows.length);
    expect(mappingProblems(model.store.get())).toEqual([
      expect.objectContaining({ row: jobRow, code: 'FIELD_MISSING' }),
    ]);
  });
});

describe('sync section words', () => {
  it('lists each conflicting field with the side kept, and example emails per action', () => {
    expect(
      planDetails({
        conflicts: { 'person:job_title|job_title': { pipedrive: 2, constant_contact: 0 } },
        samples: {
          create_contact: [
            { personId: 1, contactId: null, email: 'a@example.org' },
            { personId: 2, contactId: null, email: 'b@example.org' },
          ],
          nothing: [{ personId: 3, contactId: 'c', email: 'c@example.org' }],
        },
      }),
    ).toEqual({
      conflicts: ['job_title ⇄ job_title: 2 keep Pipedrive’s value'],
      samples: ['contacts to create in Constant Contact: e.g. a@example.org, b@example.org'],
    });
  });

  it('says the saved engagement options in words', () => {
    const lines = settingsLines({
      direction: 'to_cc',
      pipedriveSource: { kind: 'all' },
      ccSource: { kind: 'all' },
      targetListIds: ['l-1'],
      mapping: [],
      conflictWinner: 'pipedrive',
      engagement: {
        opens: true,
        clicks: false,
        optouts: true,
        bounces: false,
        recordAs: 'notes',
        historyDays: 30,
      },
    });
    expect(lines).toContain('Engagement: opens, opt-outs as notes, from 30 days back');
  });

  it('names the open bursts when they are chosen', () => {
    const lines = settingsLines({
      direction: 'to_cc',
      pipedriveSource: { kind: 'all' },
      ccSource: { kind: 'all' },
      targetListIds: ['l-1'],
      mapping: [],
      conflictWinner: 'pipedrive',
      engagement: {
        opens: true,
        clicks: true,
        optouts: false,
        bounces: false,
        recordAs: 'activities',
        historyDays: 90,
        openBursts: true,
      },
    });
    expect(lines).toContain(
      'Engagement: opens, clicks as activities (one entry per burst of opens), from 90 days back',
    );
  });
});

describe('editor helpers', () => {
  it('search keeps the chosen items and matches names in any case', () => {
    expect(searchChoices(choices.filters, 'berlin', []).map((f) => f.id)).toEqual([2]);
    expect(searchChoices(choices.filters, 'BERLIN', [1]).map((f) => f.id)).toEqual([1, 2]);
    expect(searchChoices(choices.filters, '  ', [])).toHaveLength(2);
  });

  it('turns field keys back into references, refusing what is not a field', () => {
    expect(pipedriveRefOf('person:first_name')).toEqual({ entity: 'person', key: 'first_name' });
    expect(pipedriveRefOf('deal:title')).toBeNull();
    expect(ccRefOf('phone:work')).toEqual({ kind: 'phone', phoneKind: 'work' });
    expect(ccRefOf('address:home')).toEqual({ kind: 'address', addressKind: 'home' });
    expect(ccRefOf('custom:abc-1')).toEqual({ kind: 'custom', customFieldId: 'abc-1' });
    expect(ccRefOf('birthday')).toEqual({ kind: 'birthday' });
    expect(ccRefOf('job_title')).toEqual({ kind: 'standard', field: 'job_title' });
    expect(ccRefOf('phone:fax')).toBeNull();
    expect(ccRefOf('nickname')).toBeNull();
  });

  it('labels a field with its type and read-only mark', () => {
    expect(fieldLabel(pd('organization:name', 'Name', 'text', true))).toBe(
      'Organization · Name (text, read-only)',
    );
    expect(fieldLabel(pd('person:x', 'Size', 'option'))).toBe('Size (single option)');
  });
});

describe('panel subscription', () => {
  const found = (patch: Partial<Extract<SubscriptionResponse, { state: 'found' }>> = {}) =>
    ({
      state: 'found',
      contactId: 'c-1',
      email: 'a@example.org',
      permission: 'implicit',
      optOutDate: null,
      optOutReason: null,
      lists: [{ id: 'l-1', name: 'Newsletter' }],
      ...patch,
    }) as SubscriptionResponse;

  it('says subscribed with the lists, or unsubscribed with the opt-out date and reason', () => {
    expect(subscriptionView(found())).toEqual({
      tone: 'ok',
      headline: 'Subscribed (implicit permission)',
      detail: null,
      lists: ['Newsletter'],
    });
    const out = subscriptionView(
      found({
        permission: 'unsubscribed',
        optOutDate: '2026-11-20T08:00:00Z',
        optOutReason: 'Too many emails',
        lists: [],
      }),
    );
    expect(out).toMatchObject({ tone: 'warn', headline: 'Unsubscribed', lists: [] });
    expect(out?.detail).toBe('opted out Nov 20, 2026 · Too many emails');
    expect(subscriptionView(found({ permission: 'unsubscribed' }))?.detail).toBe(
      'opt-out date unknown',
    );
    expect(subscriptionView({ state: 'contact_missing', contactId: 'c-1' })?.tone).toBe('warn');
    expect(subscriptionView({ state: 'not_linked' })).toBeNull();
  });

  it('loads the person and the subscription apart, so one failing leaves the other shown', async () => {
    const model = createPanelModel(
      fakeApi({
        person: async () => ({ personId: 7, connected: true, link: null, errors: [], events: [] }),
        subscription: () =>
          Promise.reject(new ApiError(429, 'CC_DAILY_LIMIT_REACHED', 'Limit.', 'Tomorrow.')),
      }),
      7,
    );
    await model.refresh();
    const state = model.store.get();
    expect(state.person.status).toBe('ready');
    expect(state.subscription).toMatchObject({
      status: 'error',
      error: { code: 'CC_DAILY_LIMIT_REACHED' },
    });
  });
});
