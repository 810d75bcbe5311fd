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
  if (summary.status === 'loading') return null;
  if (summary.status === 'error') return <ErrorBox error={summary.error} />;
  if (!summary.data.connected) return null;
  return (
    <div data-section="engagement-today">
      <h3>Email engagement</h3>
      <p data-testid="engagement-today">{todayLine(summary.data)}</p>
      {summary.data.notices.map((n) => (
        <ErrorBox key={n.code} error={n} />
      ))}
    </div>
  );
}
