/**
 * Starts a surface: connect to Pipedrive through the SDK (with its timeout), then render the
 * page, or an error that says what to do when the page is not inside Pipedrive.
 */
import type { VNode } from 'preact';
import { render } from 'preact';
import { ErrorBox } from './components/Feedback/Feedback.tsx';
import { toErrorView } from './models/store.ts';
import { connectHost, type Host } from './sdk.ts';

export async function boot(options: {
  height: number;
  page: (host: Host) => VNode;
}): Promise<void> {
  const root = document.getElementById('app');
  if (!root) return;
  document.documentElement.dataset.theme =
    new URLSearchParams(location.search).get('theme') === 'dark' ? 'dark' : 'light';
  render(
    <p class="muted" role="status">
      Connecting to Pipedrive…
    </p>,
    root,
  );
  try {
    const host = await connectHost({ height: options.height });
    render(options.page(host), root);
  } catch (error) {
    render(
      <main>
        <ErrorBox
          error={{
            ...toErrorView(error),
            code: 'NOT_IN_PIPEDRIVE',
            fix: 'Open this page from Pipedrive, where the app is installed.',
          }}
        />
      </main>,
      root,
    );
  }
}
