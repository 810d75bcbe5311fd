/**
 * "Refresh fields": what both APIs say can be mapped, as the core's FieldInfo lists, plus the
 * CC custom field names the JSON import addresses columns by (`cf:<name>`, CC §8).
 */
import type { CompanyClients } from '../../app.ts';
import type { CcCustomField } from '../../constant-contact/schemas.ts';
import {
  ccStandardFields,
  type FieldInfo,
  fieldInfoFromCcCustomField,
  fieldInfoFromPipedriveField,
} from '../core/fields.ts';
import type { AvailableFields } from '../settings.ts';

export interface LoadedFields {
  available: AvailableFields;
  ccCustomFieldNames: Map<string, string>;
}

export async function loadFields(clients: CompanyClients): Promise<LoadedFields> {
  const pipedrive: FieldInfo[] = [];
  for (const [entity, list] of [
    ['person', clients.pipedrive.personFields.list],
    ['organization', clients.pipedrive.organizationFields.list],
  ] as const) {
    let cursor: string | undefined;
    do {
      const page = await list(cursor ? { cursor } : {});
      for (const f of page.items) {
        const info = fieldInfoFromPipedriveField(
          {
            key: f.field_code,
            name: f.field_name,
            field_type: f.field_type,
            edit_flag: f.is_custom_field === true,
            options: f.options?.map((o) => ({ id: o.id, label: o.label })) ?? null,
          },
          entity,
        );
        if (info) pipedrive.push(info);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  const cc = ccStandardFields();
  const ccCustomFieldNames = new Map<string, string>();
  let next: string | undefined;
  do {
    const page = await clients.cc.customFields.list(next);
    for (const field of page.items as CcCustomField[]) {
      cc.push(fieldInfoFromCcCustomField(field));
      ccCustomFieldNames.set(
        field.custom_field_id,
        field.label ?? field.name ?? field.custom_field_id,
      );
    }
    next = page.next;
  } while (next);
  return { available: { pipedrive, cc }, ccCustomFieldNames };
}
