/**
 * DESIGN §3 "Identity and linking": when several Pipedrive persons share an email, the link
 * goes to the oldest (earliest `add_time`, then lowest id); the others are duplicates and
 * nothing is created for them.
 */
import type { ContactValue } from './normalise.ts';
import { personEmail } from './normalise.ts';

export interface PersonForEmail {
  id: number;
  add_time?: string | null;
  emails?: ContactValue[] | null;
}

export interface EmailChoice {
  /** email → the person that takes part for it. */
  chosen: Map<string, number>;
  duplicates: { personId: number; keptPersonId: number; email: string }[];
  excluded: { personId: number; reason: 'EMAIL_MISSING' | 'EMAIL_INVALID' }[];
}

/** A missing or unparsable add_time sorts last, so a well-formed older record is preferred. */
function addedAt(person: PersonForEmail): number {
  const t = Date.parse(person.add_time ?? '');
  return Number.isNaN(t) ? Number.POSITIVE_INFINITY : t;
}

export function chooseByEmail(persons: readonly PersonForEmail[]): EmailChoice {
  const choice: EmailChoice = { chosen: new Map(), duplicates: [], excluded: [] };
  const ordered = [...persons].sort((a, b) => addedAt(a) - addedAt(b) || a.id - b.id);
  for (const person of ordered) {
    const email = personEmail(person.emails);
    if (!email.ok) {
      choice.excluded.push({ personId: person.id, reason: email.reason });
      continue;
    }
    const kept = choice.chosen.get(email.email);
    if (kept === undefined) choice.chosen.set(email.email, person.id);
    else choice.duplicates.push({ personId: person.id, keptPersonId: kept, email: email.email });
  }
  return choice;
}
