/**
 * Which parts of issue 7 the simulation exercises. A switch is off while the engine lacks the
 * feature it needs; the reason says what is missing, and the simulation prints it with every
 * run so an op or invariant that is off is never mistaken for one that passed.
 */
export interface SimFeatures {
  /** Opt-outs shown in Pipedrive: the app-managed "Constant Contact status" field. */
  ccStatusField: boolean;
  /** A periodic full scan marks links of deleted CC contacts. */
  ccDeleteScan: boolean;
  /** Pipedrive filter membership rescans (connections that sync chosen filters). */
  filterRescan: boolean;
}

export const features: SimFeatures = {
  ccStatusField: true,
  ccDeleteScan: true,
  filterRescan: true,
};

export const disabledBecause: Record<keyof SimFeatures, string> = {
  ccStatusField:
    'opt-outs are simulated and never resubscribed, but the check that Pipedrive shows them waits for the "Constant Contact status" field (issue 7)',
  ccDeleteScan:
    'CC deletes are simulated (the person keeps its link; a later person change revives the contact), but the check that the link is marked waits for the periodic delete scan (issue 7)',
  filterRescan:
    'every seed syncs all persons in Pipedrive: no seed syncs a people filter, so filter membership changes (pd.filter) and their rescan go unsimulated (issue 7)',
};

export function disabledFeatures(): string[] {
  return (Object.keys(features) as Array<keyof SimFeatures>)
    .filter((k) => !features[k])
    .map((k) => `${k}: ${disabledBecause[k]}`);
}

/**
 * Ops the CI run leaves out because the engine still gets them wrong, each with the failing
 * behaviour; `npm run simulate -- --all-ops` runs them anyway, to see the failures.
 */
export const skippedOps: Record<string, string> = {
  ...Object.fromEntries(
    (process.env.SIM_SKIP ?? '')
      .split(',')
      .filter(Boolean)
      .map((op) => [op, 'skipped by SIM_SKIP']),
  ),
};

export function opsSkipped(allOps: boolean): string[] {
  if (allOps) return [];
  return [
    ...Object.entries(skippedOps).map(([op, why]) => `op ${op}: ${why}`),
    ...Object.entries(skippedInvariants).map(([name, why]) => `invariant ${name}: ${why}`),
  ];
}

/** Invariants not yet enforced, with the engine behaviour that breaks them. */
export const skippedInvariants: Record<string, string> = {};
