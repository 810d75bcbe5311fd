/**
 * One seed of the convergence simulation (issue 7, DESIGN §9): a small world on both fakes, a
 * random interleaving of user ops, outages and sync steps, then quiesce and check the
 * invariants. The scheduler is the seed's RNG: there is no pg-boss and no timer, so a seed
 * replays the same steps (`npm run simulate -- --seed N`).
 *
 * Sync steps are what the workers would do: a person webhook becomes a person job (delivered
 * in order, late, out of order, twice, or never), a job that throws is retried as pg-boss
 * would (up to its retryLimit, unless the error says stop), and the CC poll runs now and then.
 */
import { classifyJobError } from '../../server/jobs/classify.ts';
import { queues } from '../../server/jobs/queues.ts';
import { pollConstantContact } from '../../server/sync/engine/cc-poll.ts';
import { recordJobGivenUp, syncPerson } from '../../server/sync/engine/person.ts';
import { createRng } from '../fakes/shared/prng.ts';
import { skippedOps } from './features.ts';
import { checkInvariants } from './invariants.ts';
import { armKill, ccOps, clearFaults, faultOps, opNames, pipedriveOps } from './ops.ts';
import { createTenant, runScan, type Tenant } from './tenant.ts';
import type { SimWorld } from './world.ts';

export interface SeedResult {
  seed: number;
  violations: string[];
  trace: string[];
  steps: number;
}

interface Job {
  personId: number;
  attempt: number;
}

/** pg-boss runs a person job this many times in all before it gives up. */
const PERSON_JOB_RUNS = 1 + (queues['pipedrive.person-changed'].options.retryLimit ?? 0);
/** Quiesce gives up (and says so) after this many rounds that still write. */
const QUIESCE_ROUNDS = 8;

interface Run {
  world: SimWorld;
  t: Tenant;
  pending: Job[];
  chaos: { drop: number; duplicate: number };
  dropped: number;
  /** Jobs pg-boss gave up on, or that a stop decision ended: their person needs an error. */
  failed: Map<number, string>;
  pollErrors: number;
  enabled(op: string): boolean;
}

export async function runSeed(world: SimWorld, seed: number): Promise<SeedResult> {
  const rng = createRng(seed);
  const size = rng.int(5, 30);
  const ops = rng.int(20, 80);
  let t: Tenant;
  try {
    t = await createTenant(world, seed, rng, size);
  } catch (error) {
    return {
      seed,
      violations: [`setup or initial sync threw: ${message(error)}`],
      trace: [],
      steps: 0,
    };
  }
  world.sync.pd.log.clear();
  world.sync.cc.log.clear();
  const run: Run = {
    world,
    t,
    pending: [],
    chaos: { drop: 0, duplicate: 0 },
    dropped: 0,
    failed: new Map(),
    pollErrors: 0,
    enabled: (name) => !skippedOps.has(name),
  };
  try {
    for (let i = 0; i < ops; i++) {
      await step(run);
      world.clock.advance(rng.int(1, 20) * 1000);
    }
    const violations = await quiesce(run);
    violations.push(...(await checkInvariants(world, t, run.failed)));
    return { seed, violations, trace: t.trace, steps: ops };
  } catch (error) {
    return { seed, violations: [`threw: ${message(error)}`], trace: t.trace, steps: ops };
  } finally {
    clearFaults(world);
    world.recorder.kill = null;
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function step(run: Run): Promise<void> {
  const { world, t } = run;
  const { rng } = t;
  const roll = rng.next();
  let line: string | null;
  if (roll < 0.5) {
    const ops = roll < 0.3 ? pipedriveOps : ccOps;
    const name = rng.pick(opNames(ops, t));
    line = run.enabled(name) ? userOp(world, t, name, ops[name]) : null;
  } else if (roll < 0.75) {
    line = await deliver(run, rng.chance(0.7) ? 0 : rng.int(0, run.pending.length - 1));
  } else if (roll < 0.83) {
    // Filter seeds: now and then the scheduled scan (or "Sync now") instead of a poll, so a
    // membership change is seen mid-run and the edits that follow meet its outcome.
    line = t.filter && rng.chance(0.3) ? await scan(run) : await poll(run);
  } else if (roll < 0.93) {
    // A CC 429 and a CC token refresh cost real seconds (the limiter's pause, the token
    // endpoint's 1 request/s spacing), so they come a quarter as often as the other outages.
    let name = rng.pick(Object.keys(faultOps));
    if ((name === 'fault.429' || name === 'fault.token') && !rng.chance(0.25))
      name = rng.pick(['fault.5xx', 'fault.timeout', 'fault.reset']);
    line = run.enabled(name) ? `${name} ${faultOps[name]?.(world, t)}` : null;
  } else if (roll < 0.96) {
    line = run.enabled('kill') ? `kill: ${armKill(world, t)}` : null;
  } else if (!run.enabled('webhook.drop') || !run.enabled('webhook.duplicate')) {
    line = null;
  } else if (rng.chance(0.5)) {
    run.chaos.drop += 1;
    line = 'webhooks: drop the next one';
  } else {
    run.chaos.duplicate += 1;
    line = 'webhooks: send the next one twice';
  }
  if (line) t.trace.push(line);
  collectWebhooks(run);
}

/** A user op; one the fake refuses (as the real UI would) is traced and changes nothing. */
function userOp(
  world: SimWorld,
  t: Tenant,
  name: string,
  op: ((world: SimWorld, t: Tenant) => string | null) | undefined,
): string | null {
  try {
    const line = op?.(world, t);
    return line ? `${name} ${line}` : null;
  } catch (error) {
    return `${name} refused: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** The fake's person events become jobs, as the receiver would queue them (webhooks.ts). */
function collectWebhooks(run: Run): void {
  for (const event of run.world.takeEvents(run.t.companyId)) {
    if (run.chaos.drop > 0) {
      run.chaos.drop -= 1;
      run.dropped += 1;
      run.t.trace.push(`  webhook ${event.action} ${run.t.alias(event.entityId)} dropped`);
      continue;
    }
    const copies = run.chaos.duplicate > 0 ? 2 : 1;
    if (copies === 2) run.chaos.duplicate -= 1;
    // A merge reports the loser's delete with merged_to_id: the survivor needs a look too.
    const ids = [event.entityId, ...(event.mergedToId ? [event.mergedToId] : [])];
    for (let i = 0; i < copies; i++)
      for (const personId of ids) run.pending.push({ personId, attempt: 1 });
  }
}

async function deliver(run: Run, index: number): Promise<string | null> {
  const [job] = run.pending.splice(index, 1);
  if (!job) return null;
  const { world, t } = run;
  const label = `job ${t.alias(job.personId)}${job.attempt > 1 ? ` (attempt ${job.attempt})` : ''}`;
  try {
    const kinds = await syncPerson(world.deps, { companyId: t.companyId, personId: job.personId });
    return `${label}: ${kinds.join(',') || 'inactive'}${endKill(run)}`;
  } catch (error) {
    const killed = endKill(run);
    const outcome = classifyJobError(error, world.clock.now());
    const message = error instanceof Error ? error.message : String(error);
    if (outcome.kind === 'stop' || job.attempt >= PERSON_JOB_RUNS) {
      run.failed.set(job.personId, message);
      // What the worker does when pg-boss gives up (server/main.ts).
      await recordJobGivenUp(world.deps, { companyId: t.companyId, personId: job.personId }, error);
      return `${label}: failed for good (${outcome.kind}): ${message}${killed}`;
    }
    run.pending.push({ personId: job.personId, attempt: job.attempt + 1 });
    return `${label}: ${outcome.kind} after ${message}${killed}`;
  }
}

async function poll(run: Run): Promise<string> {
  const { world, t } = run;
  try {
    const result = await pollConstantContact(world.deps, { connectionId: t.connectionId });
    const actions = Object.entries(result.actions)
      .filter(([k]) => k !== 'nothing')
      .map(([k, n]) => `${k}×${n}`);
    return `poll: ${result.contacts} contacts ${actions.join(' ')}${endKill(run)}`;
  } catch (error) {
    run.pollErrors += 1;
    return `poll failed: ${error instanceof Error ? error.message : String(error)}${endKill(run)}`;
  }
}

async function scan(run: Run): Promise<string> {
  const { world, t } = run;
  try {
    const result = await runScan(world, t, 'scan');
    const counts = Object.entries(result.counts)
      .filter(([k, n]) => k !== 'nothing' && n)
      .map(([k, n]) => `${k}×${n}`);
    return `scan: ${counts.join(' ')}${endKill(run)}`;
  } catch (error) {
    return `scan failed: ${error instanceof Error ? error.message : String(error)}${endKill(run)}`;
  }
}

/** After a job or poll: a worker that died is replaced (its outage ends with it). */
function endKill(run: Run): string {
  const kill = run.world.recorder.kill;
  if (!kill?.fired) return '';
  run.world.recorder.kill = null;
  clearFaults(run.world);
  return ' [worker killed after a write]';
}

function writes(run: Run): string[] {
  const tenants = new Set([String(run.t.companyId), run.t.accountId]);
  const out: string[] = [];
  for (const log of [run.world.sync.pd.log, run.world.sync.cc.log])
    for (const r of log.all())
      if (r.method !== 'GET' && r.tenant && tenants.has(r.tenant) && r.status < 300)
        out.push(`${r.method} ${r.path}`);
  return out;
}

/**
 * Outages end; every queued job runs (with its retries), and the poll runs once the clock has
 * passed its overlap, round after round until a round writes nothing. When webhooks were lost
 * nothing but a full reconciliation can find those changes, so "Sync now" runs first.
 */
async function quiesce(run: Run): Promise<string[]> {
  const { world, t } = run;
  t.trace.push('--- quiesce');
  clearFaults(world);
  world.recorder.kill = null;
  run.chaos = { drop: 0, duplicate: 0 };
  const violations: string[] = [];
  const settle = async (): Promise<boolean> => {
    for (let round = 0; round < QUIESCE_ROUNDS; round++) {
      const before = writes(run).length;
      while (run.pending.length) {
        const line = await deliver(run, 0);
        if (line) t.trace.push(line);
        collectWebhooks(run);
      }
      world.clock.advance(90_000);
      t.trace.push(await poll(run));
      collectWebhooks(run);
      const written = writes(run).slice(before);
      if (!run.pending.length && !written.length) return true;
      t.trace.push(`  round ${round} wrote: ${written.join(', ')}`);
    }
    return false;
  };
  if (!(await settle())) violations.push(`still writing after ${QUIESCE_ROUNDS} quiesce rounds`);
  // The scheduled full scan (engine/scan.ts) runs at least hourly: it finds what no webhook
  // or poll reported (webhooks lost, CC deletes that did not move updated_at).
  const result = await runScan(world, t, 'scan');
  t.trace.push(
    `scheduled scan (${run.dropped} webhooks were lost): ${JSON.stringify(result.counts)}`,
  );
  if (!(await settle())) violations.push('still writing after the scheduled scan');
  // Converged means a full reconciliation now would change nothing.
  const dry = await runScan(world, t, 'dry_run');
  const pendingWork = Object.entries(dry.counts).filter(
    ([kind, n]) => kind !== 'nothing' && kind !== 'exclude' && kind !== 'record_error' && n,
  );
  if (pendingWork.length)
    violations.push(
      `not converged: a dry-run after quiesce would still do ${JSON.stringify(Object.fromEntries(pendingWork))} (samples ${JSON.stringify(dry.samples)})`,
    );
  return violations;
}

/** A failing seed as a replayable report: what broke, every step, and how to replay it. */
export function formatFailure(result: SeedResult, replay: string): string {
  return [
    `seed ${result.seed} FAILED:`,
    ...result.violations.map((v) => `  ✗ ${v}`),
    '  trace:',
    ...result.trace.map((line) => `    ${line}`),
    `  replay: ${replay}`,
  ].join('\n');
}
