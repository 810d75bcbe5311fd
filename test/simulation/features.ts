/**
 * Every op and invariant of the simulation runs. `SIM_SKIP=pd.merge,cc.optout` leaves ops out
 * of a run, to narrow down a failure; the run prints what it leaves out, so a skipped op is
 * never mistaken for one that passed.
 */
export const skippedOps: ReadonlySet<string> = new Set(
  (process.env.SIM_SKIP ?? '').split(',').filter(Boolean),
);

export function opsSkipped(): string[] {
  return [...skippedOps].map((op) => `op ${op}: skipped by SIM_SKIP`);
}
