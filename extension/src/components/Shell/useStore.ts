/** Subscribes a view to a model's store (models/store.ts). */
import { useEffect, useState } from 'preact/hooks';
import type { Store } from '../../models/store.ts';

export function useStore<S>(store: Store<S>): S {
  const [state, setState] = useState(store.get());
  useEffect(() => {
    const unsubscribe = store.subscribe(setState);
    // Preact runs effects after paint: a change made since the first render (a response that
    // arrived in between) would otherwise never reach this view.
    setState(store.get());
    return unsubscribe;
  }, [store]);
  return state;
}
