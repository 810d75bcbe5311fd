/**
 * Webhooks v2 delivery (reference 7.3–7.6; AsyncAPI description): v2 payload with the meta
 * block, Basic auth from the subscription, the four v1-style headers, success = 2xx within
 * 10 s, retries after 3/30/150 s (scaled by `timeScale` so tests run them in milliseconds),
 * a 30-minute ban after 10 failed first attempts during which events are lost, and removal of
 * a webhook after 3 days without a successful delivery. On demand: delay, drop, duplicate,
 * and hold-then-release in any order.
 */
import { randomUUID } from 'node:crypto';
import { PIPEDRIVE_WEBHOOKS } from '../../../server/pipedrive/provider.ts';
import type { FakeClock } from '../shared/clock.ts';
import type { Webhook } from './model.ts';
import type { Behaviour } from './options.ts';
import type { CompanyStore } from './store.ts';

export interface EntityEvent {
  entity: string;
  action: 'create' | 'change' | 'delete';
  entityId: number;
  data: Record<string, unknown> | null;
  previous: Record<string, unknown> | null;
  changeSource: 'api' | 'app';
  userId: number;
  mergedToId?: number;
  mergedFromId?: number;
}

export interface DeliveryRecord {
  webhookId: number;
  eventId: string;
  action: string;
  entity: string;
  entityId: number;
  attempt: number;
  at: number;
  outcome: 'delivered' | 'failed' | 'dropped_ban' | 'dropped_on_demand' | 'webhook_removed';
  status: number | null;
  error?: string;
}

interface Pending {
  company: CompanyStore;
  webhook: Webhook;
  payload: Record<string, unknown>;
  attempt: number;
}

export interface DeliveryChaos {
  /** Extra delay before every delivery attempt, in ms. */
  delayMs: number;
  /** Drop the next N first attempts (never sent, never retried). */
  dropNext: number;
  /** Send the next N first attempts twice. */
  duplicateNext: number;
}

export class WebhookDispatcher {
  readonly deliveries: DeliveryRecord[] = [];
  /** Every payload that reached a subscriber, in delivery order. */
  readonly sent: Array<{ url: string; payload: Record<string, unknown> }> = [];
  chaos: DeliveryChaos = { delayMs: 0, dropNext: 0, duplicateNext: 0 };
  private held: Pending[] | null = null;
  private inFlight = 0;
  private timers = new Set<NodeJS.Timeout>();
  private idleWaiters: Array<() => void> = [];
  private lastQueued: Promise<void> = Promise.resolve();

  constructor(
    private readonly clock: FakeClock,
    private readonly behaviour: () => Behaviour,
    public timeScale: number,
    public timeoutMs: number,
  ) {}

  /** Fans an event out to every matching v2 webhook of the company. */
  emit(company: CompanyStore, event: EntityEvent): void {
    const now = this.clock.now();
    const b = this.behaviour();
    const id = (n: number) => (b.webhookIds === 'string' ? String(n) : n);
    const correlationId = randomUUID();
    for (const w of company.webhooks.values()) {
      if (w.version !== PIPEDRIVE_WEBHOOKS.version) continue;
      if (w.event_action !== '*' && w.event_action !== event.action) continue;
      if (w.event_object !== '*' && w.event_object !== event.entity) continue;
      const meta: Record<string, unknown> = {
        action: event.action,
        entity: event.entity,
        company_id: id(company.company.id),
        correlation_id: correlationId,
        entity_id: id(event.entityId),
        id: randomUUID(),
        is_bulk_edit: false,
        timestamp:
          b.webhookTimestamp === 'iso' ? new Date(now).toISOString() : Math.floor(now / 1000),
        type: w.type,
        user_id: id(event.userId),
        version: PIPEDRIVE_WEBHOOKS.version,
        webhook_id: id(w.id),
        webhook_owner_id: id(w.owner_id),
        change_source: event.changeSource,
        attempt: 1,
        host: `${company.company.domain}.pipedrive.com`,
        permitted_user_ids: [...company.users.keys()].map(id),
      };
      if (event.mergedToId !== undefined) meta.merged_to_id = id(event.mergedToId);
      if (event.mergedFromId !== undefined) meta.merged_from_id = id(event.mergedFromId);
      const data =
        event.data && b.webhookCustomFields === 'typed'
          ? typedCustomFields(event.data, company)
          : event.data;
      const payload = { meta, data, previous: event.previous };
      const base = {
        webhookId: w.id,
        eventId: String(meta.id),
        action: event.action,
        entity: event.entity,
        entityId: event.entityId,
      };
      if (w.bannedUntil !== null && w.bannedUntil > now) {
        this.deliveries.push({
          ...base,
          attempt: 1,
          at: now,
          outcome: 'dropped_ban',
          status: null,
        });
        continue;
      }
      if (this.chaos.dropNext > 0) {
        this.chaos.dropNext -= 1;
        this.deliveries.push({
          ...base,
          attempt: 1,
          at: now,
          outcome: 'dropped_on_demand',
          status: null,
        });
        continue;
      }
      const pending: Pending = { company, webhook: w, payload, attempt: 1 };
      const copies = this.chaos.duplicateNext > 0 ? 2 : 1;
      if (copies === 2) this.chaos.duplicateNext -= 1;
      for (let i = 0; i < copies; i++) {
        if (this.held) this.held.push({ ...pending });
        else this.enqueue({ ...pending });
      }
    }
  }

  /** Holds deliveries until `release`, which can send them in another order. */
  hold(): void {
    this.held ??= [];
  }

  release(order: 'fifo' | 'reverse' = 'fifo'): number {
    const list = this.held ?? [];
    this.held = null;
    if (order === 'reverse') list.reverse();
    for (const p of list) this.enqueue(p);
    return list.length;
  }

  /** Resolves when nothing is in flight, scheduled or held back by a timer. */
  idle(): Promise<void> {
    if (this.inFlight === 0 && this.timers.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  reset(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.deliveries.length = 0;
    this.sent.length = 0;
    this.held = null;
    this.chaos = { delayMs: 0, dropNext: 0, duplicateNext: 0 };
    this.checkIdle();
  }

  private enqueue(p: Pending): void {
    if (this.chaos.delayMs > 0) this.schedule(() => this.chainDeliver(p), this.chaos.delayMs);
    else this.chainDeliver(p);
  }

  /** First attempts go out in emit order (reference 7.4 default: in order). */
  private chainDeliver(p: Pending): void {
    this.inFlight += 1;
    this.lastQueued = this.lastQueued
      .then(() => this.deliver(p))
      // A bug in one delivery must not stall the queue behind it.
      .catch((err: unknown) => {
        this.deliveries.push({
          webhookId: p.webhook.id,
          eventId: '',
          action: '',
          entity: '',
          entityId: 0,
          attempt: p.attempt,
          at: this.clock.now(),
          outcome: 'failed',
          status: null,
          error: String(err),
        });
      })
      .finally(() => {
        this.inFlight -= 1;
        this.checkIdle();
      });
  }

  private schedule(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
      this.checkIdle();
    }, ms);
    this.timers.add(t);
  }

  private checkIdle(): void {
    if (this.inFlight === 0 && this.timers.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async deliver(p: Pending): Promise<void> {
    const { webhook: w, company } = p;
    if (!company.webhooks.has(w.id)) return;
    const meta: Record<string, unknown> = {
      ...(p.payload.meta as Record<string, unknown>),
      attempt: p.attempt,
    };
    const payload = { ...p.payload, meta };
    const headers: Record<string, string> = { ...PIPEDRIVE_WEBHOOKS.headers };
    if (w.http_auth_user !== null || w.http_auth_password !== null) {
      headers.authorization = `Basic ${Buffer.from(`${w.http_auth_user ?? ''}:${w.http_auth_password ?? ''}`).toString('base64')}`;
    }
    let status: number | null = null;
    let error: string | undefined;
    try {
      const res = await fetch(w.subscription_url, {
        method: 'POST',
        headers,
        body: JSON.stringify(payload),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
    } catch (err) {
      error = err instanceof Error ? err.name : String(err);
    }
    const now = this.clock.now();
    const success = status !== null && status >= 200 && status < 300;
    w.last_delivery_time = now;
    w.last_http_status = status;
    this.deliveries.push({
      webhookId: w.id,
      eventId: String(meta.id),
      action: String(meta.action),
      entity: String(meta.entity),
      entityId: p.payload.data
        ? Number((p.payload.data as { id: unknown }).id)
        : Number(meta.entity_id),
      attempt: p.attempt,
      at: now,
      outcome: success ? 'delivered' : 'failed',
      status,
      ...(error ? { error } : {}),
    });
    if (success) {
      this.sent.push({ url: w.subscription_url, payload });
      w.lastSuccessAt = now;
      return;
    }
    // Reference 7.6: removal after 3 days without a single success.
    const since = w.lastSuccessAt ?? w.add_time;
    if (now - since >= PIPEDRIVE_WEBHOOKS.removeAfterDaysWithoutSuccess * 86_400_000) {
      company.webhooks.delete(w.id);
      this.deliveries.push({
        ...this.deliveries[this.deliveries.length - 1],
        outcome: 'webhook_removed',
      } as DeliveryRecord);
      return;
    }
    if (p.attempt === 1) {
      w.firstAttemptFailures += 1;
      if (w.firstAttemptFailures >= PIPEDRIVE_WEBHOOKS.banAfterFirstAttemptFailures) {
        w.bannedUntil = now + PIPEDRIVE_WEBHOOKS.banMinutes * 60_000;
        w.firstAttemptFailures = 0;
      }
    }
    const delay = PIPEDRIVE_WEBHOOKS.retryDelaysSeconds[p.attempt - 1];
    if (delay !== undefined) {
      this.schedule(
        () => this.chainDeliver({ ...p, attempt: p.attempt + 1 }),
        delay * 1000 * this.timeScale,
      );
    }
  }
}

/** The typed custom-field format seen in public consumers of v2 deal payloads (reference 7.4). */
function typedCustomFields(
  data: Record<string, unknown>,
  company: CompanyStore,
): Record<string, unknown> {
  const cf = (data.custom_fields ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(cf)) {
    const type = company.personFields.find((f) => f.key === key)?.field_type ?? 'varchar';
    if (value === null) out[key] = null;
    else if (type === 'enum') out[key] = { type, id: value };
    else if (type === 'set') out[key] = { type, values: (value as number[]).map((id) => ({ id })) };
    else if (type === 'monetary') out[key] = { type, ...(value as object) };
    else out[key] = { type, value };
  }
  return { ...data, custom_fields: out };
}
