/**
 * The simulation's world: one database, one pair of fakes sharing one clock, and the engine
 * wired to them, reused by every seed (each seed gets a company and a CC account of its own).
 * The Pipedrive fake's webhook events are captured in memory instead of sent: the simulation
 * delivers them itself, as person jobs, in the order (and with the losses) it chooses.
 */
import { randomBytes } from 'node:crypto';
import { Keyring } from '../../server/crypto.ts';
import type { Database } from '../../server/db/database.ts';
import type { InitialSyncDeps } from '../../server/sync/engine/initial.ts';
import type { EntityEvent } from '../fakes/pipedrive/webhooks.ts';
import { createClock, type FakeClock } from '../fakes/shared/clock.ts';
import { engineDeps, type SyncWorld, startSyncWorld } from '../helpers/sync-world.ts';
import { WriteRecorder } from './recorder.ts';

export interface SimWorld {
  db: Database;
  keyring: Keyring;
  sync: SyncWorld;
  clock: FakeClock;
  recorder: WriteRecorder;
  /** The engine's dependencies; its clock is the fakes' clock. */
  deps: InitialSyncDeps & { now: () => number };
  /** Takes the person events the Pipedrive fake emitted for a company since the last take. */
  takeEvents(companyId: number): EntityEvent[];
  close(): Promise<void>;
}

export async function startSimWorld(db: Database): Promise<SimWorld> {
  const clock = createClock();
  const recorder = new WriteRecorder();
  const sync = await startSyncWorld({
    name: 'sim',
    pipedrive: { seed: 'empty', clock, rateLimits: { enabled: false } },
    constantContact: { seed: 'empty', clock, rateLimits: { enabled: false } },
    beforeListen: (fakes) => recorder.install(fakes),
  });
  const events = new Map<number, EntityEvent[]>();
  sync.pd.webhooks.emit = (company, event) => {
    if (event.entity !== 'person') return;
    const list = events.get(company.company.id) ?? [];
    list.push(event);
    events.set(company.company.id, list);
  };
  const keyring = new Keyring([{ id: 'sim', key: randomBytes(32) }]);
  // Thousands of seeds spend far more than a day's real CC quota in minutes of wall time.
  const base = engineDeps(db, sync, keyring, {
    CC_REQUESTS_PER_DAY: '1000000000',
    CC_REQUESTS_PER_SECOND: '100000',
  });
  return {
    db,
    keyring,
    sync,
    clock,
    recorder,
    deps: { ...base, now: () => clock.now() },
    takeEvents(companyId) {
      const list = events.get(companyId) ?? [];
      events.delete(companyId);
      return list;
    },
    close: () => sync.close(),
  };
}
