/** A searchable list of checkboxes (people filters, Constant Contact lists). */
import { useState } from 'preact/hooks';
import { searchChoices } from '../../models/editor.ts';

/** Short lists read at a glance; from this many items on, a search box narrows them. */
const SEARCH_FROM = 3;

export interface Choice {
  id: number | string;
  name: string;
  detail?: string;
}

export function ChoiceList({
  id,
  label,
  items,
  chosen,
  onToggle,
  issue,
  empty,
}: {
  id: string;
  label: string;
  items: Choice[];
  chosen: readonly (number | string)[];
  onToggle: (id: Choice['id'], on: boolean) => void;
  issue: string | null;
  empty: string;
}) {
  const [query, setQuery] = useState('');
  const shown = searchChoices(items, query, chosen);
  const issueId = `${id}-issue`;
  return (
    <fieldset class="choices" aria-describedby={issue ? issueId : undefined} data-choices={id}>
      <legend>{label}</legend>
      {items.length === 0 ? (
        <p class="muted small">{empty}</p>
      ) : (
        <>
          {items.length >= SEARCH_FROM && (
            <input
              type="search"
              class="search"
              placeholder="Search…"
              aria-label={`Search: ${label}`}
              value={query}
              onInput={(e) => setQuery(e.currentTarget.value)}
            />
          )}
          <ul class="plain choice-items">
            {shown.map((item) => (
              <li key={item.id}>
                <label>
                  <input
                    type="checkbox"
                    checked={chosen.includes(item.id)}
                    onChange={(e) => onToggle(item.id, e.currentTarget.checked)}
                  />{' '}
                  {item.name}
                  {item.detail && <span class="muted small"> · {item.detail}</span>}
                </label>
              </li>
            ))}
          </ul>
          {shown.length === 0 && <p class="muted small">Nothing matches “{query}”.</p>}
        </>
      )}
      {issue && (
        <p class="field-issue" id={issueId}>
          {issue}
        </p>
      )}
    </fieldset>
  );
}
