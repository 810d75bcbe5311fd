/** Loading, error and status pieces both surfaces share. */
import type { ComponentChildren } from 'preact';
import type { ErrorView } from '../../models/store.ts';

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function ErrorBox({ error, onRetry }: { error: ErrorView; onRetry?: () => void }) {
  return (
    <div class="error" role="alert">
      <p class="error-message">{error.message}</p>
      {error.fix && (
        <p class="error-fix">
          <strong>How to fix:</strong> {error.fix}
        </p>
      )}
      <p class="muted small">Code {error.code}</p>
      {onRetry && (
        <button type="button" class="secondary" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Badge({
  tone,
  children,
}: {
  tone: 'ok' | 'warn' | 'off';
  children: ComponentChildren;
}) {
  return <span class={`badge ${tone}`}>{children}</span>;
}

export function formatTime(iso: string | null): string {
  return iso
    ? new Date(iso).toLocaleString('en', { dateStyle: 'medium', timeStyle: 'short' })
    : '—';
}
