/** The settings page's engagement read-out: entries recorded today, and any notice with its fix. */
import { useEffect } from 'preact/hooks';
import { type EngagementSummaryModel, todayLine } from '../../models/engagement.ts';
import { ErrorBox } from '../Feedback/Feedback.tsx';
import { useStore } from '../Shell/useStore.ts';

export function EngagementToday({ model }: { model: EngagementSummaryModel }) {
  const { summary } = useStore(model.store);
  useEffect(() => {
    void model.refresh();
  }, [model]);
  if (summary.status === 'ready' && !summary.data.connected) return null;
  return (
    <section aria-labelledby="engagement-today" class="card" data-section="engagement-today">
      <h2 id="engagement-today">Email engagement</h2>
      {summary.status === 'loading' ? (
        <p class="muted">Loading engagement…</p>
      ) : summary.status === 'error' ? (
        <ErrorBox error={summary.error} onRetry={() => void model.refresh()} />
      ) : (
        <>
          <p data-testid="engagement-today">{todayLine(summary.data)}</p>
          {summary.data.notices.map((n) => (
            <ErrorBox key={n.code} error={n} />
          ))}
        </>
      )}
    </section>
  );
}
