/**
 * The field mapping: one row per Pipedrive field ⇄ Constant Contact field with its direction;
 * each row's problems (type, read-only, missing field…) are shown under it as it is edited.
 */

import { ccKey, pipedriveKey } from '../../../../server/sync/core/fields.ts';
import type { FieldsResponse } from '../../api.ts';
import { type EditorModel, fieldLabel, mappingProblems } from '../../models/editor.ts';
import { useStore } from '../Shell/useStore.ts';

const ROW_DIRECTIONS = [
  ['both', '⇄ both ways'],
  ['to_cc', '→ to CC only'],
  ['to_pipedrive', '← to Pipedrive only'],
] as const;

export function MappingEditor({ model, fields }: { model: EditorModel; fields: FieldsResponse }) {
  const state = useStore(model.store);
  const draft = state.draft;
  if (!draft) return null;
  const problems = mappingProblems(state);
  const { pipedrive, cc } = fields.available;
  const known = (list: { key: string }[], key: string) => list.some((f) => f.key === key);
  return (
    <fieldset class="mapping">
      <legend>Field mapping</legend>
      <p class="muted small">
        Email is always synced both ways. Each row below syncs one more field; a read-only field can
        only be synced away from its side.
      </p>
      {draft.mapping.length === 0 && (
        <p class="muted">No fields are mapped: only email addresses will be synced.</p>
      )}
      {draft.mapping.length > 0 && (
        // Column titles for the eye; each select carries its own label for screen readers.
        <div class="mapping-fields mapping-head" aria-hidden="true">
          <span>Pipedrive field</span>
          <span>Direction</span>
          <span>Constant Contact field</span>
          <span />
        </div>
      )}
      <ol class="plain mapping-rows">
        {draft.mapping.map((row, index) => {
          const n = index + 1;
          const pdKey = pipedriveKey(row.pipedrive);
          const ccFieldKey = ccKey(row.cc);
          const rowProblems = problems.filter((p) => p.row === index);
          const problemId = `row-${n}-problems`;
          return (
            <li
              // By position: the selects are controlled, and a key that changed with the chosen
              // field would remount the row and take the keyboard focus away mid-edit.
              key={index}
              class={`mapping-row${rowProblems.length > 0 ? ' has-problem' : ''}`}
              data-row={n}
            >
              <div class="mapping-fields">
                <select
                  aria-label={`Row ${n}: Pipedrive field`}
                  aria-describedby={rowProblems.length > 0 ? problemId : undefined}
                  value={pdKey}
                  onChange={(e) => model.setRow(index, { pipedrive: e.currentTarget.value })}
                >
                  {!known(pipedrive, pdKey) && <option value={pdKey}>{pdKey} (missing)</option>}
                  {pipedrive.map((f) => (
                    <option key={f.key} value={f.key}>
                      {fieldLabel(f)}
                    </option>
                  ))}
                </select>
                <select
                  aria-label={`Row ${n}: direction`}
                  value={row.direction}
                  onChange={(e) =>
                    model.setRow(index, {
                      direction: e.currentTarget.value as (typeof ROW_DIRECTIONS)[number][0],
                    })
                  }
                >
                  {ROW_DIRECTIONS.map(([value, label]) => (
                    <option key={value} value={value}>
                      {label}
                    </option>
                  ))}
                </select>
                <select
                  aria-label={`Row ${n}: Constant Contact field`}
                  aria-describedby={rowProblems.length > 0 ? problemId : undefined}
                  value={ccFieldKey}
                  onChange={(e) => model.setRow(index, { cc: e.currentTarget.value })}
                >
                  {!known(cc, ccFieldKey) && (
                    <option value={ccFieldKey}>{ccFieldKey} (missing)</option>
                  )}
                  {cc.map((f) => (
                    <option key={f.key} value={f.key}>
                      {fieldLabel(f)}
                    </option>
                  ))}
                </select>
                <button
                  type="button"
                  class="secondary"
                  aria-label={`Remove row ${n}`}
                  onClick={() => model.removeRow(index)}
                >
                  Remove
                </button>
              </div>
              {rowProblems.length > 0 && (
                <ul class="plain row-problems" id={problemId} data-testid="row-problem">
                  {rowProblems.map((p) => (
                    <li key={p.code + p.message} class="field-issue">
                      {p.message}
                    </li>
                  ))}
                </ul>
              )}
            </li>
          );
        })}
      </ol>
      <div class="actions">
        <button type="button" class="secondary" onClick={() => model.addRow()}>
          Add a row
        </button>
        <button type="button" class="secondary" onClick={() => model.useDefaultMapping()}>
          Use the default mapping
        </button>
        <button
          type="button"
          class="secondary"
          disabled={state.refreshing}
          onClick={() => void model.refreshFields()}
        >
          {state.refreshing ? 'Refreshing fields…' : 'Refresh fields'}
        </button>
      </div>
    </fieldset>
  );
}
