/**
 * The sync setup (DESIGN §2, admin): direction; which Pipedrive persons and Constant Contact
 * contacts take part; the target list(s) and owner for what the app creates; the field
 * mapping; the conflict winner; engagement. Saving returns to the sync section, where the
 * dry-run preview and Activate follow.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ConnectionSettings } from '../../api.ts';
import { type Draft, type EditorModel, issueFor, mappingProblems } from '../../models/editor.ts';
import { ErrorBox, Loading } from '../Feedback/Feedback.tsx';
import { useStore } from '../Shell/useStore.ts';
import { ChoiceList } from './ChoiceList.tsx';
import { MappingEditor } from './MappingEditor.tsx';

const DIRECTIONS: [Draft['direction'], string, string][] = [
  ['two_way', 'Two-way', 'Changes on either side reach the other.'],
  ['to_cc', 'Pipedrive → Constant Contact', 'Pipedrive is the source; Constant Contact follows.'],
  ['to_pipedrive', 'Constant Contact → Pipedrive', 'Constant Contact is the source.'],
];

const EVENTS = [
  ['opens', 'Opens'],
  ['clicks', 'Clicks'],
  ['optouts', 'Opt-outs'],
  ['bounces', 'Bounces'],
] as const;

export function SettingsEditor({
  model,
  saved,
  onClose,
}: {
  model: EditorModel;
  saved: ConnectionSettings | null;
  /** Absent for a first setup: there is nothing to go back to. */
  onClose?: () => void;
}) {
  const state = useStore(model.store);
  // Once, when opened: the saved settings are re-read every few seconds while a run moves,
  // and that must not reset the draft being edited.
  const [initial] = useState(saved);
  useEffect(() => {
    void model.start(initial);
  }, [model, initial]);

  if (state.fields.status === 'loading' || state.choices.status === 'loading') {
    return <Loading what="the fields, filters and lists of both accounts" />;
  }
  if (state.fields.status === 'error') {
    return <ErrorBox error={state.fields.error} onRetry={() => void model.start(saved)} />;
  }
  const draft = state.draft;
  if (!draft) return null;
  const fields = state.fields.data;
  const choices = state.choices.status === 'ready' ? state.choices.data : null;
  const toCc = draft.direction !== 'to_pipedrive';
  const toPd = draft.direction !== 'to_cc';
  const rowProblems = mappingProblems(state).length;

  return (
    <form
      class="editor"
      aria-label="Sync settings"
      onSubmit={(e) => {
        e.preventDefault();
        void model.save().then((ok) => ok && onClose?.());
      }}
    >
      <Radios
        name="direction"
        legend="Direction"
        value={draft.direction}
        options={DIRECTIONS}
        onChange={(direction) => model.edit({ direction })}
      />

      {state.choices.status === 'error' && (
        <ErrorBox error={state.choices.error} onRetry={() => void model.retryChoices()} />
      )}

      {choices && (
        <div class="grid">
          {toCc && (
            <Source
              legend="Pipedrive persons to sync"
              name="pd-source"
              all="All persons"
              some="Persons in chosen filters"
              isAll={draft.pipedriveSource.kind === 'all'}
              onAll={(all) =>
                model.edit({
                  pipedriveSource: all ? { kind: 'all' } : { kind: 'filters', filterIds: [] },
                })
              }
            >
              {draft.pipedriveSource.kind === 'filters' && (
                <ChoiceList
                  id="filters"
                  label="People filters"
                  items={choices.filters}
                  chosen={draft.pipedriveSource.filterIds}
                  onToggle={(id, on) => model.toggleFilter(Number(id), on)}
                  issue={issueFor(state, 'pipedriveSource')}
                  empty="This company has no people filters. Create one in Pipedrive, or sync all persons."
                />
              )}
            </Source>
          )}
          {toPd && (
            <Source
              legend="Constant Contact contacts to sync"
              name="cc-source"
              all="All contacts"
              some="Contacts on chosen lists"
              isAll={draft.ccSource.kind === 'all'}
              onAll={(all) =>
                model.edit({ ccSource: all ? { kind: 'all' } : { kind: 'lists', listIds: [] } })
              }
            >
              {draft.ccSource.kind === 'lists' && (
                <ChoiceList
                  id="cc-lists"
                  label="Constant Contact lists"
                  items={choices.lists.map(listChoice)}
                  chosen={draft.ccSource.listIds}
                  onToggle={(id, on) => model.toggleSourceList(String(id), on)}
                  issue={issueFor(state, 'ccSource')}
                  empty="The Constant Contact account has no lists."
                />
              )}
            </Source>
          )}
          {toCc && (
            <ChoiceList
              id="target-lists"
              label="Add contacts the app creates to these lists"
              items={choices.lists.map(listChoice)}
              chosen={draft.targetListIds}
              onToggle={(id, on) => model.toggleTargetList(String(id), on)}
              issue={issueFor(state, 'targetListIds')}
              empty="The Constant Contact account has no lists. Create one in Constant Contact, then reload this page."
            />
          )}
          {toPd && (
            <Owner
              users={choices.users}
              value={draft.newPersonOwnerId}
              issue={issueFor(state, 'newPersonOwnerId')}
              onChange={(newPersonOwnerId) => model.edit({ newPersonOwnerId })}
            />
          )}
        </div>
      )}

      <MappingEditor model={model} fields={fields} />

      {draft.direction === 'two_way' && (
        <Radios
          name="winner"
          legend="When both sides changed the same field"
          value={draft.conflictWinner}
          options={[
            ['pipedrive', 'Pipedrive wins', ''],
            ['constant_contact', 'Constant Contact wins', ''],
          ]}
          onChange={(conflictWinner) => model.edit({ conflictWinner })}
        />
      )}

      <fieldset>
        <legend>Email engagement recorded on the person</legend>
        <div class="inline">
          {EVENTS.map(([key, label]) => (
            <label key={key}>
              <input
                type="checkbox"
                checked={draft.engagement[key]}
                onChange={(e) => model.setEngagement({ [key]: e.currentTarget.checked })}
              />{' '}
              {label}
            </label>
          ))}
        </div>
        <div class="inline">
          {(
            [
              ['activities', 'as activities'],
              ['notes', 'as notes'],
            ] as const
          ).map(([value, label]) => (
            <label key={value}>
              <input
                type="radio"
                name="record-as"
                value={value}
                checked={draft.engagement.recordAs === value}
                onChange={() => model.setEngagement({ recordAs: value })}
              />{' '}
              {label}
            </label>
          ))}
        </div>
        <label class="block-label">
          <input
            type="checkbox"
            checked={draft.engagement.openBursts === true}
            disabled={!draft.engagement.opens}
            onChange={(e) => model.setEngagement({ openBursts: e.currentTarget.checked })}
          />{' '}
          One entry per burst of opens (a contact's opens of one campaign within an hour)
        </label>
        <label class="block-label">
          Import past engagement from the last{' '}
          <input
            type="number"
            min={0}
            max={1825}
            class="days"
            value={draft.engagement.historyDays}
            onInput={(e) => {
              const days = Number(e.currentTarget.value);
              if (Number.isInteger(days) && days >= 0 && days <= 1825)
                model.setEngagement({ historyDays: days });
            }}
          />{' '}
          days
        </label>
      </fieldset>

      {state.saveError && <ErrorBox error={state.saveError} />}
      {state.attempted && rowProblems > 0 && (
        <p class="field-issue" role="alert">
          {rowProblems === 1 ? 'One mapping row needs' : `${rowProblems} mapping rows need`}{' '}
          attention before the settings can be saved.
        </p>
      )}
      <div class="actions">
        <button type="submit" class="primary" disabled={state.saving}>
          {state.saving ? 'Saving…' : 'Save settings'}
        </button>
        {onClose && (
          <button type="button" class="secondary" onClick={onClose}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

function listChoice(list: { id: string; name: string; members: number | null }) {
  return {
    id: list.id,
    name: list.name,
    ...(list.members === null ? {} : { detail: `${list.members.toLocaleString('en')} contacts` }),
  };
}

function Radios<T extends string>({
  name,
  legend,
  value,
  options,
  onChange,
}: {
  name: string;
  legend: string;
  value: T;
  options: [T, string, string][];
  onChange: (value: T) => void;
}) {
  return (
    <fieldset>
      <legend>{legend}</legend>
      <div class="inline">
        {options.map(([option, label, hint]) => (
          <label key={option} title={hint || undefined}>
            <input
              type="radio"
              name={name}
              value={option}
              checked={value === option}
              onChange={() => onChange(option)}
            />{' '}
            {label}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

function Source({
  legend,
  name,
  all,
  some,
  isAll,
  onAll,
  children,
}: {
  legend: string;
  name: string;
  all: string;
  some: string;
  isAll: boolean;
  onAll: (all: boolean) => void;
  children: ComponentChildren;
}) {
  return (
    <fieldset>
      <legend>{legend}</legend>
      <div class="inline">
        <label>
          <input type="radio" name={name} checked={isAll} onChange={() => onAll(true)} /> {all}
        </label>
        <label>
          <input type="radio" name={name} checked={!isAll} onChange={() => onAll(false)} /> {some}
        </label>
      </div>
      {children}
    </fieldset>
  );
}

function Owner({
  users,
  value,
  issue,
  onChange,
}: {
  users: { id: number; name: string; email: string }[];
  value: number | undefined;
  issue: string | null;
  onChange: (id: number | undefined) => void;
}) {
  return (
    <fieldset>
      <legend>Owner of persons the app creates</legend>
      <select
        aria-label="Owner of persons the app creates"
        aria-describedby={issue ? 'owner-issue' : undefined}
        value={value === undefined ? '' : String(value)}
        onChange={(e) =>
          onChange(e.currentTarget.value ? Number(e.currentTarget.value) : undefined)
        }
      >
        <option value="">Choose a user…</option>
        {users.map((u) => (
          <option key={u.id} value={String(u.id)}>
            {u.name} ({u.email})
          </option>
        ))}
      </select>
      {issue && (
        <p class="field-issue" id="owner-issue">
          {issue}
        </p>
      )}
    </fieldset>
  );
}
