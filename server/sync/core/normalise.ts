/**
 * Normalisation of both sides' values into one comparable form per value kind. Every
 * normalised value is a string or null (null = empty), so the merge can treat all fields
 * alike and bases store as plain JSON. Pure: no I/O, no clock.
 */
import type { FieldOption, ValueKind } from './fields.ts';

export type FieldValue = string | null;

// ---------- emails (DESIGN §3 "Identity and linking") ----------

export type EmailResult =
  | { ok: true; email: string }
  | { ok: false; reason: 'EMAIL_MISSING' | 'EMAIL_INVALID'; raw?: string };

/** Deliberately simple: one @, no spaces, a dot in the domain; CC enforces its own rules. */
const emailPattern = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

/** Trim and lower-case; invalid when malformed or longer than CC accepts (CC 4.8: 80). */
export function normaliseEmail(raw: string | null | undefined, maxLength = 80): EmailResult {
  const email = (raw ?? '').trim().toLowerCase();
  if (email === '') return { ok: false, reason: 'EMAIL_MISSING' };
  if (!emailPattern.test(email) || email.length > maxLength) {
    return { ok: false, reason: 'EMAIL_INVALID', raw: email };
  }
  return { ok: true, email };
}

export interface ContactValue {
  value: string;
  primary?: boolean | null;
  label?: string | null;
}

/**
 * The index of the entry that counts: the FIRST one marked primary, else the first
 * (reference 4.5: "if none is, the first one becomes primary"). -1 when the list is empty.
 */
export function primaryIndex(entries: readonly ContactValue[] | null | undefined): number {
  if (!entries || entries.length === 0) return -1;
  const primary = entries.findIndex((e) => e.primary === true);
  return primary === -1 ? 0 : primary;
}

/** The person's matching email. Other emails are ignored; an invalid primary is not replaced
 * by a later valid one, because DESIGN §3 matches on the primary email only. */
export function personEmail(entries: readonly ContactValue[] | null | undefined): EmailResult {
  const index = primaryIndex(entries);
  return normaliseEmail(index === -1 ? null : entries?.[index]?.value);
}

// ---------- text and names ----------

export function normaliseText(raw: unknown): FieldValue {
  if (raw === null || raw === undefined) return null;
  if (typeof raw !== 'string' && typeof raw !== 'number') return null;
  const text = String(raw).trim();
  return text === '' ? null : text;
}

/** Names: trimmed with inner runs of whitespace collapsed, so "Ann  Lee" equals "Ann Lee". */
export function normaliseName(raw: unknown): FieldValue {
  const text = normaliseText(raw);
  return text === null ? null : text.replace(/\s+/g, ' ');
}

// ---------- phones ----------

/** Trim and collapse spaces; the written form keeps the user's punctuation. */
export function normalisePhone(raw: unknown): FieldValue {
  return normaliseName(raw);
}

/** Phones are compared on their digits only: "+1 (555) 010-2000" equals "15550102000". */
export function phoneDigits(value: string): string {
  return value.replace(/\D/g, '');
}

// ---------- numbers ----------

export function normaliseNumber(raw: unknown): FieldValue {
  if (typeof raw === 'number') return Number.isFinite(raw) ? String(raw) : null;
  const text = normaliseText(raw);
  if (text === null) return null;
  const n = Number(text);
  return Number.isFinite(n) ? String(n) : text;
}

// ---------- dates ----------

function isoDate(year: number, month: number, day: number): string | null {
  if (month < 1 || month > 12 || day < 1 || day > 31 || year < 1 || year > 9999) return null;
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null;
  return `${String(year).padStart(4, '0')}-${pad(month)}-${pad(day)}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * Any date the two APIs produce → `YYYY-MM-DD`, or null when empty or not a real date.
 * Accepts ISO dates and date-times (Pipedrive dates, CC timestamps: the calendar date as
 * written, no time-zone shift) and the CC anniversary formats (CC 4.4): Y/M/D and M/D/Y with
 * `/` or `-`.
 */
export function normaliseDate(raw: unknown): FieldValue {
  const text = normaliseText(raw);
  if (text === null) return null;
  let m = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:$|T)/.exec(text);
  if (m) return isoDate(Number(m[1]), Number(m[2]), Number(m[3]));
  m = /^(\d{1,2})[-/](\d{1,2})[-/](\d{4})$/.exec(text);
  if (m) return isoDate(Number(m[3]), Number(m[1]), Number(m[2]));
  return null;
}

// ---------- birthdays (CC has month and day only, CC 4.4) ----------

/** Canonical birthday value: `MM-DD`. A Pipedrive date keeps only its month and day. */
export function birthdayFromDate(raw: unknown): FieldValue {
  const iso = normaliseDate(raw);
  return iso === null ? null : iso.slice(5);
}

/** CC `birthday_month` + `birthday_day` → `MM-DD`; both are needed (CC sends them together). */
export function birthdayFromParts(
  month: number | null | undefined,
  day: number | null | undefined,
): FieldValue {
  if (typeof month !== 'number' || typeof day !== 'number') return null;
  // 2000 is a leap year, so 02-29 is accepted.
  return isoDate(2000, month, day) === null ? null : `${pad(month)}-${pad(day)}`;
}

export function birthdayToParts(value: FieldValue): {
  birthday_month: number | null;
  birthday_day: number | null;
} {
  if (value === null) return { birthday_month: null, birthday_day: null };
  const [month, day] = value.split('-').map(Number);
  return { birthday_month: month ?? null, birthday_day: day ?? null };
}

export type BirthdayWrite =
  | { ok: true; date: string | null }
  | { ok: false; reason: 'BIRTHDAY_YEAR_UNKNOWN' | 'BIRTHDAY_INVALID' };

/**
 * A CC birthday written onto a Pipedrive date. CC has no year and the sync never invents
 * one: the year of the date already on the person is kept; with no date on the person the
 * write is skipped (reported as BIRTHDAY_YEAR_UNKNOWN) and the field's base stays as it was,
 * so nothing is cleared on the next run. Feb 29 onto a non-leap year is BIRTHDAY_INVALID.
 */
export function birthdayOntoDate(value: FieldValue, current: unknown): BirthdayWrite {
  if (value === null) return { ok: true, date: null };
  const existing = normaliseDate(current);
  if (existing === null) return { ok: false, reason: 'BIRTHDAY_YEAR_UNKNOWN' };
  const { birthday_month, birthday_day } = birthdayToParts(value);
  const date = isoDate(Number(existing.slice(0, 4)), birthday_month ?? 0, birthday_day ?? 0);
  return date === null ? { ok: false, reason: 'BIRTHDAY_INVALID' } : { ok: true, date };
}

// ---------- option fields (DESIGN §3 "Option fields") ----------

/** Option ids arrive as a number (v2 enum), numbers (v2 set), "1,2" strings (v1) or
 * `{id, label}` objects (v2 with include_option_labels, reference 4.4). */
function optionIds(raw: unknown): number[] {
  if (raw === null || raw === undefined || raw === '') return [];
  if (Array.isArray(raw)) return raw.flatMap(optionIds);
  if (typeof raw === 'number') return [raw];
  if (typeof raw === 'string') return raw.split(',').map((s) => Number(s.trim()));
  if (typeof raw === 'object' && 'id' in raw) return optionIds((raw as { id: unknown }).id);
  return [];
}

export interface OptionLabels {
  value: FieldValue;
  /** Ids that match no current option (deleted options); they are left out of the value. */
  unknownIds: number[];
}

/** Pipedrive option ids → their labels, several joined with ", " in the order given. */
export function optionLabels(raw: unknown, options: readonly FieldOption[]): OptionLabels {
  const labels: string[] = [];
  const unknownIds: number[] = [];
  for (const id of optionIds(raw)) {
    const option = options.find((o) => o.id === id);
    if (option) labels.push(option.label);
    else unknownIds.push(id);
  }
  return { value: labels.length === 0 ? null : labels.join(', '), unknownIds };
}

export type OptionIdsResult = { ok: true; ids: number[] } | { ok: false; missing: string[] };

/**
 * Text from CC → existing Pipedrive option ids, matching labels case-insensitively. For a
 * multiple-option field the text is split on commas (so labels containing a comma cannot be
 * set from CC); a single-option field takes the whole text as one label. Options are never
 * created: unknown labels come back in `missing`.
 */
export function optionIdsFromText(
  value: FieldValue,
  options: readonly FieldOption[],
  multiple: boolean,
): OptionIdsResult {
  if (value === null) return { ok: true, ids: [] };
  const labels = (multiple ? value.split(',') : [value]).map((l) => l.trim()).filter(Boolean);
  const ids: number[] = [];
  const missing: string[] = [];
  for (const label of labels) {
    const option = options.find((o) => o.label.toLowerCase() === label.toLowerCase());
    if (!option) missing.push(label);
    else if (!ids.includes(option.id)) ids.push(option.id);
  }
  return missing.length > 0 ? { ok: false, missing } : { ok: true, ids };
}

// ---------- addresses ----------

export interface AddressParts {
  street: string | null;
  city: string | null;
  state: string | null;
  postal_code: string | null;
  country: string | null;
}

const addressKeys = ['street', 'city', 'state', 'postal_code', 'country'] as const;

/** Canonical address value: the five CC parts as JSON (null when every part is empty). */
export function addressValue(parts: Partial<Record<keyof AddressParts, unknown>>): FieldValue {
  const clean = Object.fromEntries(addressKeys.map((k) => [k, normaliseName(parts[k])]));
  return Object.values(clean).every((v) => v === null) ? null : JSON.stringify(clean);
}

export function addressParts(value: FieldValue): AddressParts {
  const parsed: Partial<AddressParts> = value === null ? {} : JSON.parse(value);
  return {
    street: parsed.street ?? null,
    city: parsed.city ?? null,
    state: parsed.state ?? null,
    postal_code: parsed.postal_code ?? null,
    country: parsed.country ?? null,
  };
}

// ---------- lengths (CC 4.8) ----------

/**
 * Values longer than CC accepts are cut to the limit rather than failing the contact: a
 * shortened job title is more useful than a contact that never syncs. The caller reports a
 * FIELD_TRUNCATED warning.
 */
export function truncate(value: FieldValue, max: number | undefined): FieldValue {
  if (value === null || max === undefined || value.length <= max) return value;
  return value.slice(0, max).trimEnd();
}

/** CC street address part limits (CC 4.4): street 255, the other parts 50. */
export function truncateAddress(value: FieldValue): FieldValue {
  if (value === null) return null;
  const a = addressParts(value);
  return addressValue({
    street: truncate(a.street, 255),
    city: truncate(a.city, 50),
    state: truncate(a.state, 50),
    postal_code: truncate(a.postal_code, 50),
    country: truncate(a.country, 50),
  });
}

// ---------- comparison ----------

/** Equality of two normalised values of one kind; null only equals null. */
export function sameValue(kind: ValueKind, a: FieldValue, b: FieldValue): boolean {
  if (a === null || b === null) return a === b;
  switch (kind) {
    case 'phone':
      return phoneDigits(a) === phoneDigits(b);
    case 'option':
      return a.toLowerCase() === b.toLowerCase();
    case 'options': {
      // Order-insensitive: CC text "B, A" and options [A, B] say the same thing.
      const set = (v: string) =>
        v
          .split(',')
          .map((l) => l.trim().toLowerCase())
          .filter(Boolean)
          .sort()
          .join(',');
      return set(a) === set(b);
    }
    default:
      return a === b;
  }
}
