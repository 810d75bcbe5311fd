// @vitest-environment happy-dom
/**
 * useStore (extension/src/components/Shell/useStore.ts) in a DOM: Preact runs a view's effects
 * after paint, so a store change that lands between the first render and the effect that
 * subscribes must still reach the view. (It did not: the person panel's subscription section
 * stayed on "Loading…" when Constant Contact answered just after the section appeared.)
 */
import { h, render } from 'preact';
import { describe, expect, it } from 'vitest';
import { useStore } from '../../extension/src/components/Shell/useStore.ts';
import { Store } from '../../extension/src/models/store.ts';

async function until(check: () => boolean, ms = 2_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}

describe('useStore', () => {
  it('shows a change made after the first render but before the view subscribed', async () => {
    const store = new Store({ status: 'loading' });
    const View = () => h('p', null, useStore(store).status);
    const root = document.createElement('div');
    render(h(View, null), root);
    expect(root.textContent).toBe('loading');

    store.set({ status: 'ready' }); // Preact has not run the view's effects yet
    await until(() => root.textContent === 'ready');
    expect(root.textContent).toBe('ready');
  });

  it('follows later changes and stops listening once the view is gone', async () => {
    const store = new Store({ n: 0 });
    const View = () => h('p', null, `n=${useStore(store).n}`);
    const root = document.createElement('div');
    render(h(View, null), root);
    await new Promise((r) => setTimeout(r, 50)); // effects have run
    store.set({ n: 1 });
    await until(() => root.textContent === 'n=1');
    expect(root.textContent).toBe('n=1');

    render(null, root);
    await new Promise((r) => setTimeout(r, 50));
    expect((store as unknown as { listeners: Set<unknown> }).listeners.size).toBe(0);
  });
});
