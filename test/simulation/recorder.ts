/**
 * Hooks the simulation installs on both fakes before they listen: a recorder of writes that
 * changed nothing (DESIGN §3: "We never send a write that would not change the destination")
 * and the "worker killed" switch, which lets a write land and then cuts the answer and every
 * call after it, as a process dying between its API write and its database commit would.
 *
 * A write is compared on the records it targets, before the route runs and after it answered,
 * leaving out what every write moves by itself (timestamps, update source, sequence numbers).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ConstantContactFake } from '../fakes/constant-contact/server.ts';
import type { PipedriveFake } from '../fakes/pipedrive/server.ts';

export interface NoopWrite {
  side: 'pipedrive' | 'cc';
  /** Company id or CC account id. */
  tenant: string;
  method: string;
  path: string;
  /** Person id, contact id or email the write targeted. */
  target: string;
}

interface Pending {
  side: NoopWrite['side'];
  tenant: string;
  targets: Array<{ target: string; before: string | undefined; read: () => unknown }>;
}

const PERSON_WRITE = /^\/(?:api\/v2|v1)\/persons\/(\d+)$/;
const CONTACT_PUT = /^\/v3\/contacts\/([^/]+)$/;
const CONTACT_IMPORT = '/v3/activities/contacts_json_import';
/** Keys a write moves whatever it changes. */
const VOLATILE = new Set(['updatedAt', 'update_time', 'update_source', 'seq', 'updated_at']);

export class WriteRecorder {
  readonly noops: NoopWrite[] = [];
  /** Targets whose last write lost its answer: the retry that repeats it is not a no-op bug. */
  readonly excused = new Set<string>();
  private readonly pending = new WeakMap<object, Pending>();
  /** When set, the next successful write to a matching path is answered by a cut connection. */
  kill: { side: NoopWrite['side']; fired: boolean; onFire: () => void } | null = null;

  install(fakes: { pd: PipedriveFake; cc: ConstantContactFake }): void {
    this.hook(fakes.pd.app, 'pipedrive', (request) => this.pipedriveTargets(fakes.pd, request));
    this.hook(fakes.cc.app, 'cc', (request) => this.ccTargets(fakes.cc, request));
  }

  /** Noop writes of one tenant, minus the excused ones. */
  of(tenants: { companyId: number; accountId: string }): NoopWrite[] {
    return this.noops.filter(
      (n) =>
        (n.tenant === String(tenants.companyId) || n.tenant === tenants.accountId) &&
        !this.excused.has(n.target),
    );
  }

  private hook(
    app: FastifyInstance,
    side: NoopWrite['side'],
    targets: (request: FastifyRequest) => Pending | undefined,
  ): void {
    app.addHook('preHandler', async (request) => {
      if (request.method === 'GET') return;
      const found = targets(request);
      if (found) this.pending.set(request, found);
    });
    app.addHook('onSend', async (request, reply, payload) => {
      const kill = this.kill;
      const found = this.pending.get(request);
      if (kill && !kill.fired && kill.side === side && found && reply.statusCode < 300) {
        kill.fired = true;
        for (const t of found.targets) this.excused.add(t.target);
        kill.onFire();
        request.raw.socket.destroy();
      }
      return payload;
    });
    app.addHook('onResponse', async (request, reply) => {
      const found = this.pending.get(request);
      if (!found || reply.statusCode >= 300) return;
      for (const t of found.targets) {
        if (t.before === undefined || t.before !== stable(t.read())) continue;
        this.noops.push({
          side,
          tenant: found.tenant,
          method: request.method,
          path: request.url.split('?')[0] ?? '',
          target: t.target,
        });
      }
    });
  }

  private pipedriveTargets(pd: PipedriveFake, request: FastifyRequest): Pending | undefined {
    if (request.method !== 'PATCH' && request.method !== 'PUT') return undefined;
    const match = PERSON_WRITE.exec(request.url.split('?')[0] ?? '');
    if (!match) return undefined;
    const id = Number(match[1]);
    for (const company of pd.store.companies.values()) {
      if (!company.persons.has(id)) continue;
      const read = () => company.persons.get(id);
      return {
        side: 'pipedrive',
        tenant: String(company.company.id),
        targets: [{ target: `person:${id}`, before: stable(read()), read }],
      };
    }
    return undefined;
  }

  private ccTargets(cc: ConstantContactFake, request: FastifyRequest): Pending | undefined {
    const path = request.url.split('?')[0] ?? '';
    const put = request.method === 'PUT' ? CONTACT_PUT.exec(path) : null;
    if (put) {
      const id = decodeURIComponent(put[1] as string);
      for (const account of cc.store.accounts.values()) {
        if (!account.contacts.has(id)) continue;
        const read = () => account.contacts.get(id);
        return {
          side: 'cc',
          tenant: account.accountId,
          targets: [{ target: `contact:${id}`, before: stable(read()), read }],
        };
      }
      return undefined;
    }
    if (request.method === 'POST' && path === CONTACT_IMPORT) {
      const rows = ((request.body as { import_data?: Array<{ email?: string }> })?.import_data ??
        []) as Array<{ email?: string }>;
      // The import names no account; the one whose contacts the rows' emails find is it.
      for (const account of cc.store.accounts.values()) {
        const targets = rows.flatMap((row) => {
          const contact = row.email ? account.findByEmail(row.email) : undefined;
          if (!contact) return [];
          const read = () => account.contacts.get(contact.contact_id);
          return [{ target: `contact:${contact.contact_id}`, before: stable(read()), read }];
        });
        if (targets.length) return { side: 'cc', tenant: account.accountId, targets };
      }
    }
    return undefined;
  }
}

/** JSON with sorted keys and without the keys every write moves. */
function stable(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return JSON.stringify(value, (key, v) => {
    if (VOLATILE.has(key)) return undefined;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)));
    }
    return v;
  });
}
