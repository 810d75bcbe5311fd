/**
 * The planner's vocabulary: its input, the discriminated union of actions it returns
 * (STYLE habit 8; kysely-style `kind` unions) and the plan. Types only.
 */
import type { CoreCode, CoreIssue } from './codes.ts';
import type { CompiledField } from './fields.ts';
import type { ContactSnapshot, FieldValues, PersonSnapshot } from './map.ts';
import type { ContactWrite, PersonWrite } from './map-write.ts';
import type { Conflict, ConflictWinner } from './merge.ts';

export type LinkState = 'active' | 'person_deleted' | 'contact_deleted' | 'out_of_rule';

/** What a link stores: the last values both sides agreed on. */
export interface LinkBase {
  email: string;
  values: FieldValues;
}

export interface LinkSnapshot {
  personId: number;
  contactId: string;
  state: LinkState;
  /** null when the pair has never completed a sync. */
  base: LinkBase | null;
}

export interface PlanSettings {
  direction: 'two_way' | 'to_cc' | 'to_pipedrive';
  conflictWinner: ConflictWinner;
  targetListIds: string[];
  newPersonOwnerId?: number;
}

export interface PlanInput {
  person: PersonSnapshot | null;
  contact: ContactSnapshot | null;
  link: LinkSnapshot | null;
  settings: PlanSettings;
  fields: readonly CompiledField[];
  inPipedriveRule: boolean;
  inCcRule: boolean;
  /**
   * The shell looked up the new email this pair would write, and it is another's: in CC
   * another contact holds it, in Pipedrive another linked person has it. Undefined when the
   * shell did not look: then an address the link's base notes as taken (plan-util.ts
   * `takenEmail`) counts as taken.
   */
  emailTaken?: boolean;
  /** The shell's `chooseByEmail` gave this person's email to an older person (that id). */
  duplicateOf?: number;
  /**
   * The person was deleted by a Pipedrive merge (the delete carried `merged_to_id`, DESIGN §3
   * "Deletes, merges"): the surviving person's id, and whether it already has its own link.
   */
  mergedInto?: { personId: number; survivorLinked: boolean };
  now: string;
}

export type NothingReason = 'in_sync' | 'out_of_rule' | 'no_counterpart' | 'already_marked';

export type SyncAction =
  | {
      kind: 'link';
      personId: number;
      contactId: string;
      email: string;
      unsubscribed: boolean;
      at: string;
    }
  | {
      kind: 'create_contact';
      personId: number;
      email: string;
      /** Always `implicit`: people who never signed up themselves (CC 4.6, 4.7). */
      permission: 'implicit';
      listIds: string[];
      body: ContactWrite;
    }
  | {
      kind: 'update_contact';
      contactId: string;
      personId: number;
      body: ContactWrite;
      fields: string[];
    }
  | {
      kind: 'revive_contact';
      contactId: string;
      personId: number;
      listIds: string[];
      body: ContactWrite;
    }
  | { kind: 'create_person'; contactId: string; email: string; ownerId?: number; body: PersonWrite }
  | {
      kind: 'update_person';
      personId: number;
      contactId: string;
      body: PersonWrite;
      fields: string[];
    }
  | {
      kind: 'mark_link';
      personId: number;
      contactId: string;
      state: LinkState;
      at: string;
    }
  | {
      /** A Pipedrive merge: the surviving person takes over the link, base and all. */
      kind: 'move_link';
      contactId: string;
      fromPersonId: number;
      toPersonId: number;
      at: string;
    }
  | {
      kind: 'record_error';
      code: CoreCode;
      personId?: number;
      contactId?: string;
      fieldId?: string;
      detail?: string;
      /** EMAIL_COLLISION: the address another contact holds; the shell notes it on the link. */
      email?: string;
    }
  | {
      kind: 'exclude';
      side: 'pipedrive' | 'cc';
      id: number | string;
      reason: 'EMAIL_MISSING' | 'EMAIL_INVALID';
    }
  | { kind: 'nothing'; reason: NothingReason };

export interface Plan {
  actions: SyncAction[];
  /** The base to store once the actions succeeded; null when there is no link to store. */
  base: LinkBase | null;
  conflicts: Conflict[];
  warnings: CoreIssue[];
}
