/**
 * A tiny observable state holder: models keep their state here and views subscribe. No DOM,
 * so the models are tested in Node (test/unit/extension-models.unit.test.ts).
 */
export class Store<S> {
  private listeners = new Set<(state: S) => void>();
  constructor(private state: S) {}

  get(): S {
    return this.state;
  }

  set(patch: Partial<S>): void {
    this.state = { ...this.state, ...patch };
    for (const listener of this.listeners) listener(this.state);
  }

  subscribe(listener: (state: S) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** What a view shows when something failed: the server's words when it gave them. */
export interface ErrorView {
  code: string;
  message: string;
  fix: string;
}

export type Load<T> =
  | { status: 'loading' }
  | { status: 'ready'; data: T }
  | { status: 'error'; error: ErrorView };

export function toErrorView(error: unknown): ErrorView {
  if (error && typeof error === 'object' && 'code' in error && 'fix' in error) {
    const e = error as { code: unknown; message?: unknown; fix: unknown };
    return { code: String(e.code), message: String(e.message ?? ''), fix: String(e.fix) };
  }
  return {
    code: 'UNEXPECTED',
    message: error instanceof Error ? error.message : 'Something went wrong.',
    fix: 'Reload the page. If it keeps happening, check the app logs.',
  };
}

export async function load<T>(run: () => Promise<T>): Promise<Load<T>> {
  try {
    return { status: 'ready', data: await run() };
  } catch (error) {
    return { status: 'error', error: toErrorView(error) };
  }
}
