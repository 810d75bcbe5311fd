/**
 * The app-managed Pipedrive person field "Constant Contact status" (DESIGN §3 "Deletes, merges,
 * subscriptions": a CC opt-out is shown in Pipedrive). The field is a plain text field, created
 * once per company on first need and found again by its name after a reinstall; its key is kept
 * on the connection.
 *
 * What is written: a status is written when it differs from the one last written for the link.
 * A subscribed contact whose person never had a status written is left alone, so linking a
 * whole account costs no extra Pipedrive call; the field fills in as contacts opt out, are
 * deleted, or come back (then "Subscribed" replaces the earlier status).
 */
import { isApiError } from '../../api/errors.ts';
import type { CompanyClients } from '../../app.ts';
import type { Database } from '../../db/database.ts';
import type { Logger } from '../../log.ts';
import type { ContactSnapshot } from '../core/map.ts';

export const CC_STATUS_FIELD_NAME = 'Constant Contact status';

export type CcStatus =
  | 'Subscribed'
  | 'Unsubscribed'
  | 'Pending confirmation'
  | 'Not subscribed'
  | 'Deleted in Constant Contact';

/**
 * The status a contact shows (constant-contact-api.md §4.7: `permission_to_send`; §5: a
 * deleted contact keeps its permission and gets `deleted_at`). `revived` says the sync has just
 * revived a deleted contact, so its `deleted_at` no longer holds.
 */
export function ccStatusOf(contact: ContactSnapshot, revived = false): CcStatus {
  if (contact.deleted_at && !revived) return 'Deleted in Constant Contact';
  switch (contact.email_address?.permission_to_send) {
    case 'unsubscribed':
      return 'Unsubscribed';
    case 'pending_confirmation':
      return 'Pending confirmation';
    case 'explicit':
    case 'implicit':
      return 'Subscribed';
    default:
      return 'Not subscribed';
  }
}

/** What to write, or null when the field already says it (or never needed to). */
export function statusToWrite(written: string | null, status: CcStatus): CcStatus | null {
  if (written === status) return null;
  if (written === null && status === 'Subscribed') return null;
  return status;
}

interface StatusDeps {
  db: Database;
  clients: CompanyClients;
  connectionId: number;
  logger?: Logger;
}

/**
 * The field's key, created when missing. The connection row stays locked while the field is
 * looked up or created, so two workers never create it twice. Null when the installation may
 * not create fields (no `admin` scope): the status then shows only in the app's panel.
 */
export async function ensureStatusField(deps: StatusDeps): Promise<string | null> {
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('connections')
      .select('cc_status_field_key')
      .where('id', '=', deps.connectionId)
      .forUpdate()
      .executeTakeFirst();
    if (!row) return null;
    if (row.cc_status_field_key) return row.cc_status_field_key;
    let key: string | null = null;
    for await (const field of allFields(deps.clients)) {
      if (field.field_name === CC_STATUS_FIELD_NAME && field.field_type === 'varchar') {
        key = field.field_code;
        break;
      }
    }
    if (!key) {
      try {
        const created = await deps.clients.pipedrive.personFields.create({
          field_name: CC_STATUS_FIELD_NAME,
          field_type: 'varchar',
        } as Parameters<CompanyClients['pipedrive']['personFields']['create']>[0]);
        key = created.field_code;
      } catch (error) {
        if (isApiError(error) && error.status === 403) {
          deps.logger?.warn(
            { connectionId: deps.connectionId },
            'cannot create the Constant Contact status field: the installation lacks the admin scope',
          );
          return null;
        }
        throw error;
      }
    }
    await trx
      .updateTable('connections')
      .set({ cc_status_field_key: key })
      .where('id', '=', deps.connectionId)
      .execute();
    return key;
  });
}

async function* allFields(clients: CompanyClients) {
  let cursor: string | undefined;
  do {
    const page = await clients.pipedrive.personFields.list(cursor ? { cursor } : {});
    yield* page.items;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

/**
 * Shows the contact's status on the linked person when it changed since the last write.
 * A person deleted meanwhile is skipped; the link's next sync tries again.
 */
export async function showCcStatus(
  deps: StatusDeps,
  link: { personId: number; written: string | null },
  status: CcStatus,
  /** The field's key when the caller has it already (ensureStatusField), for a run of writes. */
  knownKey?: string,
  /**
   * The person's custom fields as the caller just read them (read here otherwise): when the
   * field already says it (a Pipedrive merge copies it from the merged person), nothing is sent.
   */
  shown?: Readonly<Record<string, unknown>> | null,
): Promise<CcStatus | null> {
  const value = statusToWrite(link.written, status);
  if (value === null) return null;
  const key = knownKey ?? (await ensureStatusField(deps));
  if (!key) return null;
  // Status writes are rare, so when the caller has not just read the person, one read makes
  // sure no write is sent that would change nothing.
  let current = shown;
  if (current === undefined || current === null) {
    try {
      const person = await deps.clients.pipedrive.persons.get({ id: link.personId });
      if (person.is_deleted) return null;
      current = (person.custom_fields ?? {}) as Record<string, unknown>;
    } catch (error) {
      if (isApiError(error) && (error.status === 404 || error.status === 410)) return null;
      throw error;
    }
  }
  if (current[key] !== value) {
    try {
      await deps.clients.pipedrive.persons.patch(link.personId, {
        custom_fields: { [key]: value },
      } as Parameters<CompanyClients['pipedrive']['persons']['patch']>[1]);
    } catch (error) {
      if (isApiError(error) && (error.status === 404 || error.status === 410)) return null;
      throw error;
    }
  }
  await deps.db
    .updateTable('links')
    .set({ cc_status: value })
    .where('connection_id', '=', deps.connectionId)
    .where('person_id', '=', link.personId)
    .execute();
  return value;
}
