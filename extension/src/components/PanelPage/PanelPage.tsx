/** The panel on a Person's detail view (DESIGN §2, sales rep). */
import { useEffect } from 'preact/hooks';
import type { EngagementModel } from '../../models/engagement.ts';
import { eventLine, linkView, type PanelModel, subscriptionView } from '../../models/panel.ts';
import { EngagementList } from '../EngagementList/EngagementList.tsx';
import { Badge, ErrorBox, formatTime, Loading } from '../Feedback/Feedback.tsx';
import { useStore } from '../Shell/useStore.ts';

export function PanelPage({
  model,
  engagement,
}: {
  model: PanelModel;
  /** The person's email engagement list; left out where the page is shown without it. */
  engagement?: EngagementModel;
}) {
  const state = useStore(model.store);
  useEffect(() => {
    void model.refresh();
  }, [model]);

  if (state.person.status === 'loading') return <Loading what="this person’s sync state" />;
  if (state.person.status === 'error') {
    return <ErrorBox error={state.person.error} onRetry={() => void model.refresh()} />;
  }
  const person = state.person.data;
  const link = linkView(person);
  const resync = state.resync;
  return (
    <>
      <section aria-label="Link" class="block-gap">
        <p>
          <Badge tone={link.tone}>
            {link.tone === 'ok' ? 'Linked' : link.tone === 'warn' ? 'Attention' : 'Not syncing'}
          </Badge>
        </p>
        <p data-testid="link-state">
          <strong>{link.headline}</strong>
        </p>
        {link.detail && <p class="muted small">{link.detail}</p>}
      </section>

      {person.link && <Subscription model={model} />}

      {person.errors.length > 0 && (
        <section aria-labelledby="errors" class="block-gap">
          <h2 id="errors">Problems</h2>
          {person.errors.map((e) => (
            <ErrorBox key={e.code} error={e} />
          ))}
        </section>
      )}

      {person.connected && (
        <section aria-label="Resync" class="block-gap">
          <button
            type="button"
            class="primary"
            disabled={resync.status === 'busy'}
            onClick={() => void model.resync()}
          >
            Resync this person
          </button>
          <p role="status" aria-live="polite" class="muted small">
            {resync.status === 'queued' && 'Resync queued; it runs in a few seconds.'}
            {resync.status === 'already_queued' && 'A sync of this person is already waiting.'}
          </p>
          {resync.status === 'error' && <ErrorBox error={resync.error} />}
        </section>
      )}

      {person.connected && engagement && <EngagementList model={engagement} />}

      <section aria-labelledby="history">
        <h2 id="history">History</h2>
        {person.events.length === 0 ? (
          <p class="muted small">No changes recorded yet.</p>
        ) : (
          <ol class="history">
            {person.events.map((e) => (
              <li key={e.id}>
                <time dateTime={e.at}>{formatTime(e.at)}</time> {eventLine(e)}
              </li>
            ))}
          </ol>
        )}
      </section>
    </>
  );
}

/** The linked contact's email permission and lists, as Constant Contact has them now. */
function Subscription({ model }: { model: PanelModel }) {
  const { subscription } = useStore(model.store);
  return (
    <section aria-labelledby="subscription" class="block-gap" data-testid="subscription">
      <h2 id="subscription">Email subscription</h2>
      {subscription.status === 'loading' ? (
        <Loading what="the subscription from Constant Contact" />
      ) : subscription.status === 'error' ? (
        <ErrorBox error={subscription.error} onRetry={() => void model.refreshSubscription()} />
      ) : (
        <SubscriptionBody view={subscriptionView(subscription.data)} />
      )}
    </section>
  );
}

function SubscriptionBody({ view }: { view: ReturnType<typeof subscriptionView> }) {
  if (!view) return <p class="muted small">Not linked to a Constant Contact contact.</p>;
  return (
    <>
      <p>
        <Badge tone={view.tone}>{view.headline}</Badge>
      </p>
      {view.detail && <p class="muted small">{view.detail}</p>}
      <p class="small">
        {view.lists.length === 0 ? 'On no lists' : `Lists: ${view.lists.join(', ')}`}
      </p>
    </>
  );
}
