/** The person's recent email engagement from Constant Contact, newest first (person panel). */
import { useEffect } from 'preact/hooks';
import { type EngagementModel, engagementLine, REFRESH_AFTER_MS } from '../../models/engagement.ts';
import { ErrorBox, formatTime } from '../Feedback/Feedback.tsx';
import { useStore } from '../Shell/useStore.ts';

export function EngagementList({ model }: { model: EngagementModel }) {
  const { list } = useStore(model.store);
  useEffect(() => {
    void model.refresh();
  }, [model]);
  // A fresh read of this contact was asked for: look once more when it has had time to land.
  const refreshing = list.status === 'ready' && list.data.refreshing;
  useEffect(() => {
    if (!refreshing) return;
    const timer = setTimeout(() => void model.refresh(), REFRESH_AFTER_MS);
    return () => clearTimeout(timer);
  }, [model, refreshing]);

  return (
    <section aria-labelledby="engagement" class="block-gap" data-section="engagement">
      <h2 id="engagement">Email engagement</h2>
      {list.status === 'loading' ? (
        <p class="muted small">Loading engagement…</p>
      ) : list.status === 'error' ? (
        <ErrorBox error={list.error} onRetry={() => void model.refresh()} />
      ) : list.data.items.length === 0 ? (
        <p class="muted small">No opens, clicks, opt-outs or bounces recorded yet.</p>
      ) : (
        <ol class="history">
          {list.data.items.map((item) => (
            <li key={item.id}>
              <time dateTime={item.at}>{formatTime(item.at)}</time> {engagementLine(item)}
              {item.linkUrl && /^https?:\/\//i.test(item.linkUrl) && (
                <>
                  {' '}
                  <a href={item.linkUrl} target="_blank" rel="noopener noreferrer">
                    {item.linkUrl}
                  </a>
                </>
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
