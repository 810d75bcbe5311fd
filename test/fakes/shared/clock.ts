/**
 * A controllable clock shared by a fake's store, its rate limiter and its schedulers. Real
 * time by default; tests and the control surface can pin it, move it, or speed it up.
 */
export interface FakeClock {
  now(): number;
  /** Pins the clock at `ms` (epoch milliseconds). */
  set(ms: number): void;
  /** Moves a pinned clock forward, or shifts a running one. */
  advance(ms: number): void;
  /** Back to wall-clock time. */
  unpin(): void;
}

export function createClock(): FakeClock {
  let pinned: number | null = null;
  let offset = 0;
  return {
    now: () => pinned ?? Date.now() + offset,
    set: (ms) => {
      pinned = ms;
    },
    advance: (ms) => {
      if (pinned === null) offset += ms;
      else pinned += ms;
    },
    unpin: () => {
      pinned = null;
      offset = 0;
    },
  };
}
