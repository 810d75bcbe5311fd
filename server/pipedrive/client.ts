/**
 * The Pipedrive client: the official `pipedrive` package (v1 and v2 classes, reference §12)
 * driven through http.ts so status, x-ratelimit-* headers and error bodies survive, every
 * call charged to the company budget (server/api/pipedrive-budget.ts) and every answer parsed
 * with zod (schemas.ts). Failures are ApiErrors; wrap calls in `withRetry` to retry them.
 *
 * Mind the base paths (stack.md §9): v1 classes get `<api_domain>/api/v1`, v2 classes
 * `<api_domain>/api/v2`; passing the v2 one to a v1 class is the classic mistake.
 */
import * as v1 from 'pipedrive/v1';
import * as v2 from 'pipedrive/v2';
import { z } from 'zod';
import { createPipedriveHttp, type PipedriveHttpOptions } from './http.ts';
import {
  activitySchema,
  activityTypeSchema,
  currentUserSchema,
  envelope,
  fieldSchema,
  filterSchema,
  idOnlySchema,
  noteSchema,
  notesPageSchema,
  organizationSchema,
  personSchema,
  personSearchSchema,
  userSchema,
  webhookSchema,
} from './schemas.ts';

export type PipedriveClientOptions = PipedriveHttpOptions;

export interface CursorPage<T> {
  items: T[];
  /** `additional_data.next_cursor`; null on the last page (reference 4.2). */
  nextCursor: string | null;
}

/** Every item of a cursor listing: `allPages((cursor) => pd.persons.list({ cursor }))`. */
export async function* allPages<T>(
  page: (cursor: string | undefined) => Promise<CursorPage<T>>,
): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const p = await page(cursor);
    yield* p.items;
    cursor = p.nextCursor ?? undefined;
  } while (cursor);
}

// The SDK's factories type their axios parameter against axios's CJS types while ours resolve
// to the ESM ones (stack.md §9: TS2345 without the cast); the instance is the same object.
type SdkAxios = Parameters<typeof v2.PersonsApiFactory>[2];

export function createPipedriveClient(options: PipedriveClientOptions) {
  const http = createPipedriveHttp(options);
  const ax = http.axios as unknown as SdkAxios;
  const cfg2 = new v2.Configuration({
    accessToken: http.accessToken,
    basePath: `${options.apiDomain}/api/v2`,
  });
  const cfg1 = new v1.Configuration({
    accessToken: http.accessToken,
    basePath: `${options.apiDomain}/api/v1`,
  });
  const persons = v2.PersonsApiFactory(cfg2, undefined, ax);
  const personFields = v2.PersonFieldsApiFactory(cfg2, undefined, ax);
  const organizationFields = v2.OrganizationFieldsApiFactory(cfg2, undefined, ax);
  const organizations = v2.OrganizationsApiFactory(cfg2, undefined, ax);
  const activities = v2.ActivitiesApiFactory(cfg2, undefined, ax);
  const personsV1 = v1.PersonsApiFactory(cfg1, undefined, ax as never);
  const filters = v1.FiltersApiFactory(cfg1, undefined, ax as never);
  const webhooks = v1.WebhooksApiFactory(cfg1, undefined, ax as never);
  const users = v1.UsersApiFactory(cfg1, undefined, ax as never);
  const activityTypes = v1.ActivityTypesApiFactory(cfg1, undefined, ax as never);
  const notes = v1.NotesApiFactory(cfg1, undefined, ax as never);

  const one = <T extends z.ZodType>(schema: T) => envelope(schema);
  const list = <T extends z.ZodType>(schema: T) => envelope(z.array(schema));
  const paged = async <T>(
    promise: Promise<{ data: T[]; additional_data?: { next_cursor?: string | null } | null }>,
  ): Promise<CursorPage<T>> => {
    const body = await promise;
    return { items: body.data, nextCursor: body.additional_data?.next_cursor ?? null };
  };

  return {
    persons: {
      /** Reference 4.2: `limit` ≤ 500 costs the same as 1, so the default is 500. */
      list: (params: v2.PersonsApiGetPersonsRequest = {}) =>
        paged(
          http.call(
            'v2 GET /persons',
            () => persons.getPersons({ limit: 500, ...params }),
            list(personSchema),
          ),
        ),
      get: (params: v2.PersonsApiGetPersonRequest) =>
        http
          .call('v2 GET /persons/{id}', () => persons.getPerson(params), one(personSchema))
          .then((b) => b.data),
      create: (body: v2.AddPersonRequest) =>
        http
          .call(
            'v2 POST /persons',
            () => persons.addPerson({ AddPersonRequest: body }),
            one(personSchema),
          )
          .then((b) => b.data),
      patch: (id: number, body: v2.UpdatePersonRequest) =>
        http
          .call(
            'v2 PATCH /persons/{id}',
            () => persons.updatePerson({ id, UpdatePersonRequest: body }),
            one(personSchema),
          )
          .then((b) => b.data),
      delete: (id: number) =>
        http
          .call('v2 DELETE /persons/{id}', () => persons.deletePerson({ id }), one(idOnlySchema))
          .then((b) => b.data),
      /** Reference 4.7: exact, email-only matching avoids partial hits. */
      searchByEmail: (email: string) =>
        http
          .call(
            'v2 GET /persons/search',
            () =>
              persons.searchPersons({
                term: email,
                fields: 'email',
                exact_match: true,
                limit: 100,
              }),
            one(personSearchSchema),
          )
          .then((b) => b.data.items.map((i) => i.item)),
      /**
       * Reference 4.9: the person `id` disappears into `survivorId`, whose values win where both
       * have one. Answers the survivor.
       */
      merge: (id: number, survivorId: number) =>
        http
          .call(
            'v1 PUT /persons/{id}/merge',
            () =>
              personsV1.mergePersons({ id, MergePersonsRequest: { merge_with_id: survivorId } }),
            one(idOnlySchema),
          )
          .then((b) => b.data),
    },
    personFields: {
      list: (params: v2.PersonFieldsApiGetPersonFieldsRequest = {}) =>
        paged(
          http.call(
            'v2 GET /personFields',
            () => personFields.getPersonFields({ limit: 500, ...params }),
            list(fieldSchema),
          ),
        ),
      /** Reference 5.3: needs the `admin` scope (or `contact-fields:full`). */
      create: (body: v2.AddPersonFieldRequest) =>
        http
          .call(
            'v2 POST /personFields',
            () => personFields.addPersonField({ AddPersonFieldRequest: body }),
            one(fieldSchema),
          )
          .then((b) => b.data),
    },
    organizationFields: {
      list: (params: v2.OrganizationFieldsApiGetOrganizationFieldsRequest = {}) =>
        paged(
          http.call(
            'v2 GET /organizationFields',
            () => organizationFields.getOrganizationFields({ limit: 500, ...params }),
            list(fieldSchema),
          ),
        ),
    },
    organizations: {
      get: (id: number) =>
        http
          .call(
            'v2 GET /organizations/{id}',
            () => organizations.getOrganization({ id }),
            one(organizationSchema),
          )
          .then((b) => b.data),
      list: (params: v2.OrganizationsApiGetOrganizationsRequest = {}) =>
        paged(
          http.call(
            'v2 GET /organizations',
            () => organizations.getOrganizations({ limit: 500, ...params }),
            list(organizationSchema),
          ),
        ),
    },
    filters: {
      list: (type: v1.FiltersApiGetFiltersRequest['type'] = 'people') =>
        http
          .call('v1 GET /filters', () => filters.getFilters({ type }), list(filterSchema))
          .then((b) => b.data),
      get: (id: number) =>
        http
          .call('v1 GET /filters/{id}', () => filters.getFilter({ id }), one(filterSchema))
          .then((b) => b.data),
    },
    webhooks: {
      create: (body: v1.AddWebhookRequest) =>
        http
          .call(
            'v1 POST /webhooks',
            () => webhooks.addWebhook({ AddWebhookRequest: body }),
            one(webhookSchema),
          )
          .then((b) => b.data),
      list: () =>
        http
          .call('v1 GET /webhooks', () => webhooks.getWebhooks(), list(webhookSchema))
          .then((b) => b.data),
      delete: (id: number) =>
        http.call(
          'v1 DELETE /webhooks/{id}',
          () => webhooks.deleteWebhook({ id }),
          z.looseObject({ success: z.literal(true) }),
        ),
    },
    users: {
      me: () =>
        http
          .call('v1 GET /users/me', () => users.getCurrentUser(), one(currentUserSchema))
          .then((b) => b.data),
      list: () =>
        http.call('v1 GET /users', () => users.getUsers(), list(userSchema)).then((b) => b.data),
    },
    activityTypes: {
      list: () =>
        http
          .call(
            'v1 GET /activityTypes',
            () => activityTypes.getActivityTypes(),
            list(activityTypeSchema),
          )
          .then((b) => b.data),
      create: (body: v1.AddActivityTypeRequest) =>
        http
          .call(
            'v1 POST /activityTypes',
            () => activityTypes.addActivityType({ AddActivityTypeRequest: body }),
            one(activityTypeSchema),
          )
          .then((b) => b.data),
    },
    activities: {
      create: (body: v2.AddActivityRequest) =>
        http
          .call(
            'v2 POST /activities',
            () => activities.addActivity({ AddActivityRequest: body }),
            one(activitySchema),
          )
          .then((b) => b.data),
      list: (params: v2.ActivitiesApiGetActivitiesRequest = {}) =>
        paged(
          http.call(
            'v2 GET /activities',
            () => activities.getActivities({ limit: 500, ...params }),
            list(activitySchema),
          ),
        ),
    },
    notes: {
      create: (body: v1.AddNoteRequest) =>
        http
          .call('v1 POST /notes', () => notes.addNote({ AddNoteRequest: body }), one(noteSchema))
          .then((b) => b.data),
      /** Reference 8.3: offset paging (`start`, `limit` ≤ 500); `more` when another page exists. */
      list: (params: { person_id: number; start?: number; limit?: number }) =>
        http
          .call('v1 GET /notes', () => notes.getNotes({ limit: 500, ...params }), notesPageSchema)
          .then((b) => ({
            items: b.data ?? [],
            nextStart: b.additional_data?.pagination?.more_items_in_collection
              ? (b.additional_data.pagination.next_start ?? null)
              : null,
          })),
    },
  };
}

export type PipedriveClient = ReturnType<typeof createPipedriveClient>;
