/**
 * The sync part of the settings page: the setup editor (until settings are saved, or when
 * "Change settings" is chosen), status, progress, the dry-run's plan, errors with their fix,
 * and the actions.
 */
import { useEffect, useState } from 'preact/hooks';
import type { RunView } from '../../api.ts';
import type { EditorModel } from '../../models/editor.ts';
import {
  ACTION_LABELS,
  actionsFor,
  isMoving,
  planDetails,
  planLines,
  progressView,
  type SyncModel,
  scheduleWords,
  settingsLines,
  statusWords,
} from '../../models/sync.ts';
import { Badge, ErrorBox, formatTime, Loading } from '../Feedback/Feedback.tsx';
import { SettingsEditor } from '../SettingsEditor/SettingsEditor.tsx';
import { useStore } from '../Shell/useStore.ts';

const POLL_MS = 3_000;

export function SyncSection({
  model,
  editor,
  connected,
}: {
  model: SyncModel;
  editor: EditorModel;
  connected: boolean;
}) {
  const state = useStore(model.store);
  useEffect(() => {
    if (connected) void model.refresh();
  }, [model, connected]);
  const moving = state.status.status === 'ready' && isMoving(state.status.data);
  useEffect(() => {
    if (!moving) return;
    const timer = setInterval(() => void model.refresh(), POLL_MS);
    return () => clearInterval(timer);
  }, [model, moving]);

  return (
    <section aria-labelledby="sync" class="card" data-section="sync">
      <h2 id="sync">Sync</h2>
      {!connected ? (
        <p class="muted">Connect Constant Contact to set up the sync.</p>
      ) : state.status.status === 'loading' ? (
        <Loading what="the sync status" />
      ) : state.status.status === 'error' ? (
        <ErrorBox error={state.status.error} onRetry={() => void model.refresh()} />
      ) : (
        <SyncBody model={model} editor={editor} />
      )}
    </section>
  );
}

function SyncBody({ model, editor }: { model: SyncModel; editor: EditorModel }) {
  const state = useStore(model.store);
  const [editing, setEditing] = useState(false);
  if (state.status.status !== 'ready') return null;
  const status = state.status.data;
  const settings = state.settings.status === 'ready' ? state.settings.data.settings : null;
  const actions = actionsFor(status, settings !== null);
  return (
    <>
      <p>
        <Badge
          tone={
            status.status === 'active' ? 'ok' : status.status === 'needs_reauth' ? 'warn' : 'off'
          }
        >
          {statusWords(status)}
        </Badge>{' '}
        <strong data-testid="contacts-in-sync">
          {status.contactsInSync.toLocaleString('en')}{' '}
          {status.contactsInSync === 1 ? 'contact' : 'contacts'} in sync
        </strong>
      </p>
      {scheduleWords(status).map((line) => (
        <p key={line} class="muted" data-testid="sync-schedule">
          {line}
        </p>
      ))}
      {status.lastRun && <Run run={status.lastRun} />}
      {status.lastDryRun && <Run run={status.lastDryRun} />}

      <h3>Settings</h3>
      {state.settings.status === 'error' ? (
        <ErrorBox error={state.settings.error} onRetry={() => void model.refresh()} />
      ) : state.settings.status === 'loading' ? (
        <Loading what="the sync settings" />
      ) : settings && !editing ? (
        <>
          <ul class="plain" data-testid="settings-summary">
            {settingsLines(settings).map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
          {status.status !== 'needs_reauth' && (
            <button type="button" class="secondary" onClick={() => setEditing(true)}>
              Change settings
            </button>
          )}
        </>
      ) : (
        <>
          {!settings && (
            <p class="muted">
              Choose what to sync and how, save, then preview the first sync before activating it.
            </p>
          )}
          <SettingsEditor
            model={editor}
            saved={settings}
            onClose={settings ? () => setEditing(false) : undefined}
          />
        </>
      )}

      {!editing && actions.length > 0 && (
        <div class="actions">
          {actions.map((action) => (
            <button
              key={action}
              type="button"
              class={action === 'pause' ? 'secondary' : 'primary'}
              disabled={state.busy !== null}
              onClick={() => void model.run(action)}
            >
              {ACTION_LABELS[action]}
            </button>
          ))}
        </div>
      )}
      {state.actionError && <ErrorBox error={state.actionError} />}

      {status.errors.length > 0 && (
        <>
          <h3>Contacts with problems</h3>
          {status.errors.map((e) => (
            <div key={e.code} data-code={e.code}>
              <ErrorBox error={e} />
              <p class="muted small">
                {e.count.toLocaleString('en')} affected
                {e.persons.length > 0 && ` · persons ${e.persons.join(', ')}`}
              </p>
            </div>
          ))}
        </>
      )}
    </>
  );
}

function Run({ run }: { run: RunView }) {
  const view = progressView(run);
  const preview = run.kind === 'dry_run' && run.status === 'completed';
  const plan = preview ? planLines(run.result) : [];
  const details = preview ? planDetails(run.result) : { conflicts: [], samples: [] };
  return (
    <div class="run" data-run-kind={run.kind}>
      <p>
        <strong>{view.title}</strong> <span class="muted">{view.state}</span>
        {run.finishedAt && <span class="muted small"> · {formatTime(run.finishedAt)}</span>}
      </p>
      {view.percent !== null && (
        <meter min={0} max={100} value={view.percent} aria-label={`${view.title} progress`} />
      )}
      {view.detail && <p class="muted small">{view.detail}</p>}
      {plan.length > 0 && (
        <ul class="plain">
          {plan.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      )}
      {details.conflicts.length > 0 && (
        <>
          <h3 class="small">Conflicts by field</h3>
          <ul class="plain small" data-testid="plan-conflicts">
            {details.conflicts.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </>
      )}
      {details.samples.length > 0 && (
        <>
          <h3 class="small">Examples</h3>
          <ul class="plain small muted" data-testid="plan-samples">
            {details.samples.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
