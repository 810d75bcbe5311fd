/**
 * The person panel's API (Person detail view, DESIGN §2): whether this person is linked to a
 * Constant Contact contact, its open errors with what to do, and its recent history; plus
 * "Resync this person". Behind panel-auth like panel.ts: every query is scoped to the token's
 * company, so a person id from another company finds nothing.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { isApiError } from '../../api/errors.ts';
import type { AppDeps, CompanyClients } from '../../app.ts';
import type { CcContactList } from '../../constant-contact/schemas.ts';
import { enqueue, personJobKey } from '../../jobs/queues.ts';
import { panelAuthPlugin } from '../plugins/panel-auth.ts';
import { describeCode } from './sync.ts';

export interface PersonLinkView {
  state: string;
  contactId: string | null;
  email: string;
  lastSyncedAt: string | null;
}

export interface PersonErrorView {
  code: string;
  message: string;
  fix: string;
  occurrences: number;
  firstSeenAt: string;
  lastSeenAt: string;
}

export interface PersonEventView {
  id: number;
  at: string;
  direction: string;
  kind: string;
  fields: string[];
  reason: string | null;
}

export interface PersonResponse {
  personId: number;
  /** False when the company has not connected Constant Contact yet. */
  connected: boolean;
  link: PersonLinkView | null;
  errors: PersonErrorView[];
  events: PersonEventView[];
}

/**
 * The linked contact's email permission and lists, read from Constant Contact when the panel
 * opens. Why read rather than store: the sync reads contacts in bulk without their lists and
 * never writes permission, so a stored copy would be stale exactly for the opt-outs a rep
 * cares about; one panel open costs one or two CC requests at `interactive` priority, which
 * the CC limiter serves before any background work (server/api/cc-policy.ts). List names are
 * kept per connection for LIST_NAMES_TTL_MS, so most opens cost one request.
 */
export type SubscriptionResponse =
  | { state: 'not_linked' }
  | { state: 'contact_missing'; contactId: string }
  | {
      state: 'found';
      contactId: string;
      email: string | null;
      /** CC `permission_to_send`: implicit, explicit, unsubscribed, pending_confirmation, … */
      permission: string | null;
      optOutDate: string | null;
      optOutReason: string | null;
      lists: { id: string; name: string }[];
    };

export interface ResyncResponse {
  queued: boolean;
}

const params = z.object({ personId: z.coerce.number().int().positive() });

const HISTORY_LENGTH = 10;
const LIST_NAMES_TTL_MS = 5 * 60_000;

export async function personRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  await app.register(panelAuthPlugin, { db: deps.db, jwtSecret: deps.config.pipedrive?.jwtSecret });

  const connectionOf = (companyId: number) =>
    deps.db
      .selectFrom('connections')
      .select('id')
      .where('company_id', '=', companyId)
      .executeTakeFirst();

  app.get('/api/persons/:personId', async (request): Promise<PersonResponse> => {
    const { personId } = params.parse(request.params);
    const connection = await connectionOf(request.panel.companyId);
    if (!connection) return { personId, connected: false, link: null, errors: [], events: [] };
    const [link, errors, events] = await Promise.all([
      deps.db
        .selectFrom('links')
        .select(['state', 'contact_id', 'email', 'last_synced_at'])
        .where('connection_id', '=', connection.id)
        .where('person_id', '=', personId)
        .executeTakeFirst(),
      deps.db
        .selectFrom('contact_errors')
        .select(['code', 'occurrences', 'first_seen_at', 'last_seen_at'])
        .where('connection_id', '=', connection.id)
        .where('person_id', '=', personId)
        .where('resolved_at', 'is', null)
        .orderBy('last_seen_at', 'desc')
        .execute(),
      deps.db
        .selectFrom('contact_events')
        .select(['id', 'created_at', 'direction', 'kind', 'changes', 'reason'])
        .where('connection_id', '=', connection.id)
        .where('person_id', '=', personId)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(HISTORY_LENGTH)
        .execute(),
    ]);
    return {
      personId,
      connected: true,
      link: link
        ? {
            state: link.state,
            contactId: link.contact_id,
            email: link.email,
            lastSyncedAt: link.last_synced_at?.toISOString() ?? null,
          }
        : null,
      errors: errors.map((e) => ({
        code: e.code,
        ...describeCode(e.code),
        occurrences: e.occurrences,
        firstSeenAt: e.first_seen_at.toISOString(),
        lastSeenAt: e.last_seen_at.toISOString(),
      })),
      events: events.map((e) => ({
        id: Number(e.id),
        at: e.created_at.toISOString(),
        direction: e.direction,
        kind: e.kind,
        // `changes` is `{ field: { from, to } }`: the panel names the fields, not the values.
        fields:
          e.changes && typeof e.changes === 'object' && !Array.isArray(e.changes)
            ? Object.keys(e.changes)
            : [],
        reason: e.reason,
      })),
    };
  });

  const listNames = new Map<number, { at: number; names: Map<string, string> }>();
  const listNamesOf = async (connectionId: number, cc: CompanyClients['cc']) => {
    const cached = listNames.get(connectionId);
    if (cached && Date.now() - cached.at < LIST_NAMES_TTL_MS) return cached.names;
    const names = new Map<string, string>();
    let next: string | undefined;
    do {
      const page = await cc.lists.list({ limit: 1000 }, next);
      for (const list of page.items as CcContactList[]) names.set(list.list_id, list.name);
      next = page.next;
    } while (next);
    listNames.set(connectionId, { at: Date.now(), names });
    return names;
  };

  app.get('/api/persons/:personId/subscription', async (request): Promise<SubscriptionResponse> => {
    const { personId } = params.parse(request.params);
    const connection = await connectionOf(request.panel.companyId);
    if (!connection) return { state: 'not_linked' };
    const link = await deps.db
      .selectFrom('links')
      .select('contact_id')
      .where('connection_id', '=', connection.id)
      .where('person_id', '=', personId)
      .executeTakeFirst();
    if (!link?.contact_id) return { state: 'not_linked' };
    const { cc } = await deps.apis.forCompany(request.panel.companyId, 'interactive');
    let contact: Awaited<ReturnType<typeof cc.contacts.get>>;
    try {
      contact = await cc.contacts.get(link.contact_id, { include: ['list_memberships'] });
    } catch (error) {
      if (isApiError(error) && error.status === 404) {
        return { state: 'contact_missing', contactId: link.contact_id };
      }
      throw error;
    }
    const memberships = contact.list_memberships ?? [];
    const names = memberships.length > 0 ? await listNamesOf(connection.id, cc) : new Map();
    const email = contact.email_address;
    return {
      state: 'found',
      contactId: contact.contact_id,
      email: email?.address ?? null,
      permission: email?.permission_to_send ?? null,
      optOutDate: email?.opt_out_date ?? null,
      optOutReason: email?.opt_out_reason ?? null,
      lists: memberships.map((id) => ({ id, name: names.get(id) ?? id })),
    };
  });

  app.post('/api/persons/:personId/resync', async (request): Promise<ResyncResponse> => {
    const { personId } = params.parse(request.params);
    const { companyId } = request.panel;
    // Same queue and key as the webhook intake, so it coalesces with a pending change; no
    // coalescing delay, since a person asked for it and is watching the panel.
    const id = await enqueue(
      deps.boss,
      'pipedrive.person-changed',
      { companyId, personId },
      { singletonKey: personJobKey(companyId, personId) },
    );
    request.log.info({ companyId, personId, queued: id !== null }, 'person resync requested');
    // null: a job for this person is already waiting, which will do the same work.
    return { queued: id !== null };
  });
}
