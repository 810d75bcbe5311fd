/**
 * Bulk activities (§8): created `initialized`, seen `processing` half-way through the
 * configured delay, then `completed` (or `failed`) when the fake clock reaches `dueAt`. The
 * delay is an option: 0 runs an activity right after its 201 is built, so tests never wait.
 * An account with more than 1,000 queued activities gets 429.
 */
import {
  ccBulkLimits as B,
  ccErrors,
  ccContactLimits as L,
} from '../../../server/constant-contact/provider.ts';
import type { FakeClock } from '../shared/clock.ts';
import { addToLists, softDelete } from './contacts.ts';
import { CcHttpError } from './errors.ts';
import { type ExportPayload, exportContacts, exportCsv } from './export.ts';
import { type ImportPayload, runImport } from './import.ts';
import type { JsonObject } from './resource.ts';
import type {
  AccountStore,
  ActivityRecord,
  ActivityType,
  CcStore,
  ContactRecord,
} from './store.ts';
import { iso } from './store.ts';

export interface ContactSource {
  contactIds?: string[];
  listIds?: string[];
  tagIds?: string[];
  allActive?: boolean;
  exclude?: string[];
}

export interface ListMembershipPayload {
  source: ContactSource;
  listIds: string[];
}

export interface DeletePayload {
  source: ContactSource;
}

export interface ListDeletePayload {
  listIds: string[];
}

export interface CustomFieldsDeletePayload {
  customFieldIds: string[];
}

export interface TaggingPayload {
  source: ContactSource;
  tagIds: string[];
}

const RETENTION_MS = B.activityRetentionDays * 86_400_000;

export class ActivityRunner {
  /** Accounts with unfinished activities, so the timer does not walk every account. */
  private readonly pending = new Set<AccountStore>();

  constructor(
    private readonly ref: { store: CcStore },
    private readonly clock: FakeClock,
    public delayMs: number,
  ) {}

  private get store(): CcStore {
    return this.ref.store;
  }

  /** Forgets pending work of a store that a reset replaced. */
  clear(): void {
    this.pending.clear();
  }

  enqueue(
    account: AccountStore,
    type: ActivityType,
    payload: unknown,
    itemsTotal: number,
  ): JsonObject {
    this.processDue(account);
    let queued = 0;
    for (const a of account.activities.values())
      if (a.state === 'initialized' || a.state === 'processing') queued++;
    if (queued >= B.maxQueuedActivities) {
      throw new CcHttpError(429, {
        error_key: this.store.behaviour.queuedActivitiesErrorKey,
        error_message: ccErrors.queuedActivities.error_message,
      });
    }
    const now = this.clock.now();
    const activity: ActivityRecord = {
      activity_id: this.store.uuid(),
      type,
      state: 'initialized',
      createdAt: now,
      updatedAt: now,
      dueAt: now + this.delayMs,
      errors: [],
      counts: { items_total_count: itemsTotal, items_completed_count: 0 },
      payload,
    };
    account.activities.set(activity.activity_id, activity);
    this.pending.add(account);
    const snapshot = activityResource(activity);
    if (this.delayMs === 0) this.processDue(account);
    return snapshot;
  }

  enqueueListDelete(account: AccountStore, listId: string): JsonObject {
    return this.enqueue(
      account,
      'list_delete',
      { listIds: [listId] } satisfies ListDeletePayload,
      1,
    );
  }

  /** Moves activities along by the fake clock; `force` completes all of them now. */
  processDue(account: AccountStore, force = false): void {
    if (!this.pending.has(account)) return;
    const now = this.clock.now();
    let unfinished = false;
    for (const activity of account.activities.values()) {
      if (activity.state !== 'initialized' && activity.state !== 'processing') continue;
      if (force || now >= activity.dueAt) {
        this.run(account, activity, now);
      } else {
        if (activity.state === 'initialized' && now >= activity.createdAt + this.delayMs / 2) {
          activity.state = 'processing';
          activity.startedAt = now;
          activity.updatedAt = now;
        }
        unfinished = true;
      }
    }
    if (!unfinished) this.pending.delete(account);
  }

  processAll(force = false): void {
    for (const account of [...this.pending]) this.processDue(account, force);
  }

  /** §8: status records are kept for 10 days. */
  prune(account: AccountStore): void {
    const cutoff = this.clock.now() - RETENTION_MS;
    for (const [id, a] of account.activities)
      if (a.createdAt < cutoff) account.activities.delete(id);
  }

  private run(account: AccountStore, activity: ActivityRecord, now: number): void {
    activity.startedAt ??= now;
    try {
      switch (activity.type) {
        case 'contacts_json_import':
          runImport(this.store, account, activity, activity.payload as ImportPayload, now);
          break;
        case 'add_list_memberships':
        case 'remove_list_memberships':
          this.runMembership(account, activity, now);
          break;
        case 'contact_delete':
          this.runDelete(account, activity, now);
          break;
        case 'list_delete':
          this.runListDelete(account, activity, now);
          break;
        case 'contacts_taggings_add':
        case 'contacts_taggings_remove':
          this.runTagging(account, activity, now);
          break;
        case 'contacts_tags_delete':
          this.runTagsDelete(account, activity);
          break;
        case 'custom_fields_delete':
          this.runCustomFieldsDelete(account, activity);
          break;
        case 'contact_exports':
          this.runExport(account, activity);
          break;
      }
      activity.state = 'completed';
    } catch (error) {
      activity.state = 'failed';
      activity.errors.push(error instanceof Error ? error.message : String(error));
    }
    activity.completedAt = now;
    activity.updatedAt = now;
  }

  private resolve(account: AccountStore, source: ContactSource): ContactRecord[] {
    const exclude = new Set(source.exclude ?? []);
    let out: ContactRecord[];
    if (source.contactIds) {
      out = source.contactIds.map((id) => account.contacts.get(id)).filter((c) => c !== undefined);
    } else if (source.listIds) {
      const lists = source.listIds;
      out = account.order.filter(
        (c) =>
          c.deletedAt === undefined && (c.list_memberships ?? []).some((l) => lists.includes(l)),
      );
    } else {
      out = account.order.filter(
        (c) => c.deletedAt === undefined && c.email?.permission !== 'unsubscribed',
      );
    }
    return out.filter((c) => !exclude.has(c.contact_id));
  }

  private runMembership(account: AccountStore, activity: ActivityRecord, now: number): void {
    const payload = activity.payload as ListMembershipPayload;
    const contacts = this.resolve(account, payload.source);
    activity.counts.items_total_count = contacts.length;
    activity.counts.list_count = payload.listIds.length;
    let done = 0;
    for (const c of contacts) {
      if (activity.type === 'add_list_memberships') {
        if (addToLists(c, payload.listIds, now)) done++;
        else activity.errors.push(`Contact ${c.contact_id} would exceed 50 list memberships.`);
      } else {
        const before = c.list_memberships?.length ?? 0;
        c.list_memberships = (c.list_memberships ?? []).filter((l) => !payload.listIds.includes(l));
        if (c.list_memberships.length !== before) c.updatedAt = now;
        done++;
      }
    }
    activity.counts.items_completed_count = done;
  }

  private runDelete(account: AccountStore, activity: ActivityRecord, now: number): void {
    const contacts = this.resolve(account, (activity.payload as DeletePayload).source);
    activity.counts.items_total_count = contacts.length;
    for (const c of contacts) softDelete(this.store, c, now);
    activity.counts.items_completed_count = contacts.length;
  }

  private runTagging(account: AccountStore, activity: ActivityRecord, now: number): void {
    const payload = activity.payload as TaggingPayload;
    const contacts = this.resolve(account, payload.source);
    activity.counts.items_total_count = contacts.length;
    let done = 0;
    for (const c of contacts) {
      const current = c.taggings ?? [];
      const next =
        activity.type === 'contacts_taggings_add'
          ? [...new Set([...current, ...payload.tagIds])]
          : current.filter((t) => !payload.tagIds.includes(t));
      if (next.length > L.taggingsMax) {
        activity.errors.push(`Contact ${c.contact_id} would exceed ${L.taggingsMax} tags.`);
        continue;
      }
      if (next.length !== current.length) c.updatedAt = now;
      c.taggings = next;
      done++;
    }
    activity.counts.items_completed_count = done;
  }

  private runTagsDelete(account: AccountStore, activity: ActivityRecord): void {
    const { tagIds } = activity.payload as TaggingPayload;
    for (const id of tagIds) account.tags.delete(id);
    for (const c of account.order) {
      if (c.taggings?.some((t) => tagIds.includes(t)))
        c.taggings = c.taggings.filter((t) => !tagIds.includes(t));
    }
    activity.counts.items_total_count = tagIds.length;
    activity.counts.items_completed_count = tagIds.length;
  }

  private runListDelete(account: AccountStore, activity: ActivityRecord, now: number): void {
    const { listIds } = activity.payload as ListDeletePayload;
    for (const listId of listIds) {
      const list = account.lists.get(listId);
      if (list) {
        list.deletedAt = now;
        list.updatedAt = now;
      }
    }
    for (const c of account.order) {
      if (c.list_memberships?.some((l) => listIds.includes(l))) {
        c.list_memberships = c.list_memberships.filter((l) => !listIds.includes(l));
      }
    }
    activity.counts.list_count = listIds.length;
    activity.counts.items_total_count = listIds.length;
    activity.counts.items_completed_count = listIds.length;
  }

  private runExport(account: AccountStore, activity: ActivityRecord): void {
    const payload = activity.payload as ExportPayload;
    const contacts = exportContacts(account, payload, (source) => this.resolve(account, source));
    const fileId = this.store.uuid();
    account.exports.set(
      fileId,
      exportCsv(account, contacts, payload.fields, this.store.behaviour.exportContactId),
    );
    activity.resultsHref = `/v3/contact_exports/${fileId}`;
    activity.counts.items_total_count = contacts.length;
    activity.counts.items_completed_count = contacts.length;
  }

  private runCustomFieldsDelete(account: AccountStore, activity: ActivityRecord): void {
    const { customFieldIds } = activity.payload as CustomFieldsDeletePayload;
    deleteCustomFields(account, customFieldIds);
    activity.counts.items_total_count = customFieldIds.length;
    activity.counts.items_completed_count = customFieldIds.length;
  }
}

/** Removes custom fields and their values from every contact (§6). */
export function deleteCustomFields(account: AccountStore, ids: readonly string[]): void {
  for (const id of ids) account.customFields.delete(id);
  for (const c of account.order) {
    if (c.custom_fields?.some((v) => ids.includes(v.custom_field_id))) {
      c.custom_fields = c.custom_fields.filter((v) => !ids.includes(v.custom_field_id));
    }
  }
}

export function activityResource(a: ActivityRecord): JsonObject {
  const done = a.state === 'completed' || a.state === 'failed';
  const out: JsonObject = {
    activity_id: a.activity_id,
    state: a.state,
    created_at: iso(a.createdAt),
    updated_at: iso(a.updatedAt),
    percent_done: done ? 100 : 0,
    activity_errors: [...a.errors],
    status: { ...a.counts },
    _links: {
      self: { href: `/v3/activities/${a.activity_id}` },
      ...(a.resultsHref ? { results: { href: a.resultsHref } } : {}),
    },
  };
  if (a.startedAt !== undefined) out.started_at = iso(a.startedAt);
  if (a.completedAt !== undefined) out.completed_at = iso(a.completedAt);
  return out;
}
