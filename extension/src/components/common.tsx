/** Pieces both surfaces share: state hook, the host shell (theme, resize), loading and errors. */
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useState } from 'preact/hooks';
import type { ErrorView, Store } from '../models/store.ts';
import type { Host, Theme } from '../sdk.ts';

export function useStore<S>(store: Store<S>): S {
  const [state, setState] = useState(store.get());
  useEffect(() => store.subscribe(setState), [store]);
  return state;
}

/** Follows Pipedrive's theme and keeps the iframe as tall as the content (§10.4 resize). */
export function Shell({ host, children }: { host: Host; children: ComponentChildren }) {
  const [theme, setTheme] = useState<Theme>(host.theme);
  useEffect(() => host.onThemeChange(setTheme), [host]);
  useLayoutEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  useEffect(() => {
    let last = 0;
    const observer = new ResizeObserver(() => {
      // The body's own height: the document's scrollHeight never drops below the iframe's
      // current height, so the panel could grow but never shrink.
      const height = Math.ceil(document.body.getBoundingClientRect().height);
      if (height !== last) {
        last = height;
        host.resize(height);
      }
    });
    observer.observe(document.body);
    return () => observer.disconnect();
  }, [host]);
  return <main>{children}</main>;
}

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
