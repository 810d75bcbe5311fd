/** Subscribes a view to a model's store (models/store.ts). */
import { useEffect, useState } from 'preact/hooks';
import type { Store } from '../../models/store.ts';

export function useStore<S>(store: Store<S>): S {
  const [state, setState] = useState(store.get());
  useEffect(() => store.subscribe(setState), [store]);
  return state;
}
