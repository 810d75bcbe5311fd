/** The app settings page inside Pipedrive (DESIGN §2, admin). */
import { useEffect } from 'preact/hooks';
import type { EditorModel } from '../../models/editor.ts';
import type { EngagementSummaryModel } from '../../models/engagement.ts';
import {
  budgetRows,
  constantContactView,
  pipedriveView,
  type SettingsModel,
  webhookView,
} from '../../models/settings.ts';
import type { SyncModel } from '../../models/sync.ts';
import { EngagementToday } from '../EngagementToday/EngagementToday.tsx';
import { Badge, ErrorBox, formatTime, Loading } from '../Feedback/Feedback.tsx';
import { useStore } from '../Shell/useStore.ts';
import { SyncSection } from '../SyncSection/SyncSection.tsx';

export function SettingsPage({
  model,
  sync,
  editor,
  engagement,
}: {
  model: SettingsModel;
  sync: SyncModel;
  editor: EditorModel;
  /** The engagement read-out (entries recorded today); left out where the page is shown without it. */
  engagement?: EngagementSummaryModel;
}) {
  const state = useStore(model.store);
  useEffect(() => {
    void model.refresh();
    const onFocus = () => void model.returned();
    window.addEventListener('focus', onFocus);
    return () => window.removeEventListener('focus', onFocus);
  }, [model]);

  if (state.session.status === 'loading') return <Loading what="the app settings" />;
  if (state.session.status === 'error') {
    return <ErrorBox error={state.session.error} onRetry={() => void model.refresh()} />;
  }
  const session = state.session.data;
  const pd = pipedriveView(session);
  const cc = constantContactView(session);
  const hooks = webhookView(session);
  return (
    <>
      <h1>Constant Contact Sync</h1>
      <section aria-labelledby="connections">
        <h2 id="connections">Connections</h2>
        <div class="grid">
          <article class="card" aria-label="Pipedrive connection">
            <h3>Pipedrive</h3>
            <p>
              <Badge tone={pd.tone}>{pd.tone === 'ok' ? 'Installed' : 'Attention'}</Badge>{' '}
              <strong>{pd.headline}</strong>
            </p>
            {pd.detail && <p class="muted">{pd.detail}</p>}
          </article>
          <article class="card" aria-label="Constant Contact connection">
            <h3>Constant Contact</h3>
            <p>
              <Badge tone={cc.tone}>
                {cc.tone === 'ok'
                  ? 'Connected'
                  : cc.tone === 'warn'
                    ? 'Reconnect needed'
                    : 'Not connected'}
              </Badge>{' '}
              <strong data-testid="cc-account">{cc.headline}</strong>
            </p>
            {cc.detail && <p class="muted">{cc.detail}</p>}
            <div class="actions">
              {cc.actions.map((action) => (
                <button
                  key={action}
                  type="button"
                  class={action === 'disconnect' ? 'secondary' : 'primary'}
                  disabled={state.busy !== null}
                  onClick={() =>
                    void (action === 'disconnect' ? model.disconnect() : model.connect())
                  }
                >
                  {action === 'connect'
                    ? 'Connect Constant Contact'
                    : action === 'reconnect'
                      ? 'Reconnect'
                      : 'Disconnect'}
                </button>
              ))}
            </div>
            {state.awaitingConsent && (
              <p class="muted" role="status">
                Finish in the Constant Contact window; this page updates when you come back.
              </p>
            )}
            {state.actionError && <ErrorBox error={state.actionError} />}
          </article>
        </div>
      </section>

      <section aria-labelledby="webhooks" class="card">
        <h2 id="webhooks">Pipedrive changes</h2>
        <p>
          <Badge tone={hooks.tone}>{hooks.tone === 'ok' ? 'OK' : 'Problem'}</Badge> {hooks.headline}
        </p>
        {hooks.fix && (
          <p class="error-fix">
            <strong>How to fix:</strong> {hooks.fix}
          </p>
        )}
        <p class="muted small">Last checked {formatTime(hooks.checkedAt)}</p>
      </section>

      <section aria-labelledby="budget" class="card">
        <h2 id="budget">API budget</h2>
        {state.budget.status === 'loading' && <Loading what="the API budget" />}
        {state.budget.status === 'error' && (
          <ErrorBox error={state.budget.error} onRetry={() => void model.refresh()} />
        )}
        {state.budget.status === 'ready' && (
          <table class="budget">
            <thead>
              <tr>
                <th scope="col">Side</th>
                <th scope="col">Used</th>
                <th scope="col">Left</th>
                <th scope="col">Resets</th>
              </tr>
            </thead>
            <tbody>
              {budgetRows(state.budget.data).map((row) => (
                <tr key={row.side} data-side={row.side}>
                  <th scope="row">
                    {row.side}
                    <span class="muted small block">{row.what}</span>
                  </th>
                  <td>
                    {row.used.toLocaleString('en')} of {row.limit.toLocaleString('en')}
                    <meter
                      min={0}
                      max={100}
                      value={row.percent}
                      aria-label={`${row.side} budget used`}
                    />
                  </td>
                  <td>{row.left.toLocaleString('en')}</td>
                  <td>{formatTime(row.resetsAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <SyncSection model={sync} editor={editor} connected={session.constantContact.connected} />
      {session.constantContact.connected && engagement && <EngagementToday model={engagement} />}
    </>
  );
}
