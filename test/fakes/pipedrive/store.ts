/**
 * The fake's store: many companies, each with its own people, fields, filters, webhooks and
 * activities, plus the OAuth state. Sized for 1M persons: persons sit in a Map by id, an
 * ascending id array serves id-ordered cursor paging, an append-only (update_time, seq) log
 * serves update-time paging, and an email → ids index serves search.
 */
import type {
  Activity,
  ActivityType,
  Company,
  FieldDef,
  Filter,
  Note,
  Organization,
  Person,
  User,
  Webhook,
} from './model.ts';

export interface OAuthApp {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  /** Where the uninstall DELETE goes (reference 3.9); the redirect URI when not given. */
  callbackUrl: string;
  scopes: string[];
}

export interface Install {
  clientId: string;
  companyId: number;
  userId: number;
  scopes: string[];
  refreshToken: string;
  refreshLastUsed: number;
}

export interface AccessToken {
  token: string;
  clientId: string | null;
  companyId: number;
  userId: number;
  scopes: string[];
  expiresAt: number;
  revoked: boolean;
}

export interface AuthCode {
  code: string;
  clientId: string;
  redirectUri: string;
  companyId: number;
  userId: number;
  expiresAt: number;
  used: boolean;
}

interface UpdateEntry {
  t: number;
  seq: number;
  id: number;
}

export class CompanyStore {
  readonly users = new Map<number, User>();
  readonly persons = new Map<number, Person>();
  /** Person ids in ascending order (ids only grow, so appends keep it sorted). */
  readonly personIds: number[] = [];
  readonly orgs = new Map<number, Organization>();
  personFields: FieldDef[] = [];
  orgFields: FieldDef[] = [];
  readonly filters = new Map<number, Filter>();
  readonly webhooks = new Map<number, Webhook>();
  readonly activityTypes = new Map<number, ActivityType>();
  readonly activities = new Map<number, Activity>();
  readonly notes = new Map<number, Note>();
  private readonly emailIndex = new Map<string, Set<number>>();
  private updateLog: UpdateEntry[] = [];
  private updateLogSorted = true;
  private liveEntries = 0;

  constructor(readonly company: Company) {}

  addPerson(person: Person): void {
    this.persons.set(person.id, person);
    const last = this.personIds[this.personIds.length - 1];
    this.personIds.push(person.id);
    if (last !== undefined && last > person.id) this.personIds.sort((a, b) => a - b);
    this.indexEmails(person, []);
    this.logUpdate(person);
  }

  /** Records a write: re-indexes emails and appends to the update-time log. */
  touchPerson(person: Person, previousEmails: readonly string[]): void {
    this.indexEmails(person, previousEmails);
    this.logUpdate(person);
  }

  /** Removes a person for good (purge after the soft-delete retention). */
  purgePerson(id: number): void {
    const person = this.persons.get(id);
    if (!person) return;
    this.indexEmails(
      { ...person, emails: [] },
      person.emails.map((e) => e.value),
    );
    this.persons.delete(id);
    const at = lowerBound(this.personIds, id);
    if (this.personIds[at] === id) this.personIds.splice(at, 1);
  }

  idsByEmail(email: string): number[] {
    return [...(this.emailIndex.get(email.toLowerCase()) ?? [])];
  }

  private indexEmails(person: Person, previous: readonly string[]): void {
    for (const old of previous) this.emailIndex.get(old.toLowerCase())?.delete(person.id);
    for (const e of person.emails) {
      const key = e.value.toLowerCase();
      let ids = this.emailIndex.get(key);
      if (!ids) {
        ids = new Set();
        this.emailIndex.set(key, ids);
      }
      ids.add(person.id);
    }
  }

  private logUpdate(person: Person): void {
    const last = this.updateLog[this.updateLog.length - 1];
    if (
      last &&
      (last.t > person.update_time || (last.t === person.update_time && last.seq > person.seq))
    ) {
      this.updateLogSorted = false;
    }
    this.updateLog.push({ t: person.update_time, seq: person.seq, id: person.id });
    this.liveEntries = this.persons.size;
    // Compact when stale entries dominate so the log stays O(persons).
    if (this.updateLog.length > 2 * this.liveEntries + 1024) this.rebuildUpdateLog();
  }

  private rebuildUpdateLog(): void {
    this.updateLog = [];
    for (const p of this.persons.values())
      this.updateLog.push({ t: p.update_time, seq: p.seq, id: p.id });
    this.updateLog.sort((a, b) => a.t - b.t || a.seq - b.seq);
    this.updateLogSorted = true;
  }

  /**
   * Persons in (update_time, seq) order, starting strictly after `after` when given. Stale
   * log entries (a person written again later) are skipped.
   */
  *byUpdateTime(direction: 'asc' | 'desc', after?: { t: number; seq: number }): Generator<Person> {
    if (!this.updateLogSorted) this.rebuildUpdateLog();
    const log = this.updateLog;
    const cmp = (e: UpdateEntry, k: { t: number; seq: number }) => e.t - k.t || e.seq - k.seq;
    if (direction === 'asc') {
      let lo = 0;
      if (after) {
        let hi = log.length;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (cmp(log[mid] as UpdateEntry, after) <= 0) lo = mid + 1;
          else hi = mid;
        }
      }
      for (let i = lo; i < log.length; i++) {
        const e = log[i] as UpdateEntry;
        const p = this.persons.get(e.id);
        if (p && p.seq === e.seq) yield p;
      }
    } else {
      let hi = log.length;
      if (after) {
        let lo = 0;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (cmp(log[mid] as UpdateEntry, after) < 0) lo = mid + 1;
          else hi = mid;
        }
      }
      for (let i = hi - 1; i >= 0; i--) {
        const e = log[i] as UpdateEntry;
        const p = this.persons.get(e.id);
        if (p && p.seq === e.seq) yield p;
      }
    }
  }

  /** Persons in id order, starting strictly after `afterId` when given. */
  *byId(direction: 'asc' | 'desc', afterId?: number): Generator<Person> {
    const ids = this.personIds;
    if (direction === 'asc') {
      const start = afterId === undefined ? 0 : upperBound(ids, afterId);
      for (let i = start; i < ids.length; i++) {
        const p = this.persons.get(ids[i] as number);
        if (p) yield p;
      }
    } else {
      const start = afterId === undefined ? ids.length - 1 : lowerBound(ids, afterId) - 1;
      for (let i = start; i >= 0; i--) {
        const p = this.persons.get(ids[i] as number);
        if (p) yield p;
      }
    }
  }

  personField(key: string): FieldDef | undefined {
    return this.personFields.find((f) => f.key === key && f.active);
  }
}

function lowerBound(arr: readonly number[], x: number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((arr[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(arr: readonly number[], x: number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((arr[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class Store {
  readonly companies = new Map<number, CompanyStore>();
  readonly apps = new Map<string, OAuthApp>();
  readonly codes = new Map<string, AuthCode>();
  /** Keyed `${clientId}:${companyId}:${userId}` (reference 3.8: one install per user). */
  readonly installs = new Map<string, Install>();
  readonly accessTokens = new Map<string, AccessToken>();
  private counters = new Map<string, number>();
  private seqCounter = 0;

  nextId(kind: string): number {
    const n = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, n);
    return n;
  }

  /** Lets seeding reserve ids so later creates continue after them. */
  reserveIds(kind: string, upTo: number): void {
    if ((this.counters.get(kind) ?? 0) < upTo) this.counters.set(kind, upTo);
  }

  nextSeq(): number {
    this.seqCounter += 1;
    return this.seqCounter;
  }

  company(id: number): CompanyStore | undefined {
    return this.companies.get(id);
  }

  /** The company that owns a user id. */
  companyOfUser(userId: number): CompanyStore | undefined {
    for (const c of this.companies.values()) if (c.users.has(userId)) return c;
    return undefined;
  }

  clear(): void {
    this.companies.clear();
    this.codes.clear();
    this.installs.clear();
    this.accessTokens.clear();
    this.counters.clear();
    this.seqCounter = 0;
  }
}

export function installKey(clientId: string, companyId: number, userId: number): string {
  return `${clientId}:${companyId}:${userId}`;
}
