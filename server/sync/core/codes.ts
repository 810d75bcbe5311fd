/**
 * The closed list of codes the sync core can emit, with what happened and how to fix it in
 * words for the admin (STYLE habit 4). They are meant to be merged into server/errors.ts and
 * docs/errors.md by whoever owns the catalogue; until then they live here.
 *
 * Severity says how the shell treats the code:
 * - `exclusion`: the contact does not take part and is counted by reason (DESIGN §3: "never an
 *   error");
 * - `error`: a per-contact error shown in settings and on the person's panel; the contact's
 *   other work is withheld or partial as the action says;
 * - `warning`: the contact synced, with one field shortened or skipped.
 */

export interface CoreCodeDefinition {
  severity: 'exclusion' | 'error' | 'warning';
  message: string;
  fix: string;
}

export const coreCodes = {
  EMAIL_MISSING: {
    severity: 'exclusion',
    message: 'This person or contact has no email address, so it cannot be matched or synced.',
    fix: 'Add an email address (in Pipedrive, the first or primary one is used).',
  },
  EMAIL_INVALID: {
    severity: 'exclusion',
    message:
      'The email address used for matching is not a valid address (or is longer than the 80 characters Constant Contact accepts).',
    fix: 'Correct the primary email address; the contact syncs on its next change or on "Sync now".',
  },
  DUPLICATE_EMAIL: {
    severity: 'error',
    message:
      'Several Pipedrive persons share this email address. The oldest one is synced; this one is not.',
    fix: 'Merge the duplicate persons in Pipedrive, or give this person its own email address.',
  },
  EMAIL_COLLISION: {
    severity: 'error',
    message:
      'The email address changed to one that already belongs to another synced contact, so nothing was overwritten.',
    fix: 'Correct the email address, or merge the two records, then choose "Resync" on the person.',
  },
  OPTION_LABEL_MISSING: {
    severity: 'error',
    message:
      'Constant Contact holds a value that is not an option of the Pipedrive field, and the app never creates options by itself. The other fields were synced.',
    fix: 'Add the option to the Pipedrive field (Settings → Data fields), or correct the value in Constant Contact.',
  },
  OPTION_ID_UNKNOWN: {
    severity: 'warning',
    message: 'The Pipedrive field holds an option that no longer exists; it was left out.',
    fix: 'Choose "Refresh fields" in the app settings, or pick a current option on the person.',
  },
  FIELD_TRUNCATED: {
    severity: 'warning',
    message: 'A value was longer than Constant Contact accepts for this field and was shortened.',
    fix: 'Shorten the value in Pipedrive if the cut matters.',
  },
  BIRTHDAY_YEAR_UNKNOWN: {
    severity: 'warning',
    message:
      'Constant Contact stores a birthday without the year, and the person has no birthday in Pipedrive to take the year from, so it was not copied.',
    fix: 'Enter the birthday with its year on the person in Pipedrive; after that, month and day follow Constant Contact.',
  },
  BIRTHDAY_INVALID: {
    severity: 'warning',
    message:
      'The birthday from Constant Contact (29 February) does not exist in the year of the Pipedrive date, so it was not copied.',
    fix: 'Correct the birthday on one side.',
  },
  NAME_REQUIRED: {
    severity: 'warning',
    message:
      'The names were cleared in Constant Contact, but a Pipedrive person needs a name, so the names were not copied.',
    fix: 'Enter a first or last name in Constant Contact or in Pipedrive.',
  },
  CC_ITEM_LIMIT: {
    severity: 'warning',
    message:
      'The Constant Contact contact already has the most phone numbers, addresses or custom fields it can hold, so one value was not added.',
    fix: 'Remove an unused phone number, address or custom field value from the contact in Constant Contact.',
  },
} as const satisfies Record<string, CoreCodeDefinition>;

export type CoreCode = keyof typeof coreCodes;

/** One code raised for one contact, with the field it concerns when there is one. */
export interface CoreIssue {
  code: CoreCode;
  /** The mapping row id (core/fields.ts `rowId`), when the issue is about one field. */
  fieldId?: string;
  /** Admin-facing detail naming the field and value, e.g. `Industry: "Mining" is not an option`. */
  detail?: string;
}
