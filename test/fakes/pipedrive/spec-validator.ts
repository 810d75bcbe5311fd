/**
 * Validates response bodies against the vendor's OpenAPI documents in /work/shared/specs
 * (repository-relative `../shared/specs`). Each document is registered whole with Ajv, so
 * `#/components/...` refs resolve, and an operation's response schema is compiled by JSON
 * pointer. Two documented relaxations, both where the spec is stricter than the real API:
 *  - NULLABLE_KEYS: properties the real API returns as null although the spec omits
 *    `nullable` (reference 4.2 `next_cursor: null` on the last page, 4.3 `org_id | null`, …);
 *  - `date-time` also accepts v1's `YYYY-MM-DD HH:MM:SS` UTC (reference 2.6), which the v1
 *    spec labels `date-time` on field, webhook and activity-type times.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

const NULLABLE_KEYS = new Set([
  'next_cursor',
  'org_id',
  'picture_id',
  'organization',
  'deal_id',
  'lead_id',
  'person_id',
  'project_id',
  'task_id',
  'deal',
  'person',
  'project',
  'task',
  'due_date',
  'due_time',
  'duration',
  'marked_as_done_time',
  'location',
  'conference_meeting_client',
  'conference_meeting_url',
  'conference_meeting_id',
  'public_description',
  'priority',
  'note',
  'address',
  'options',
  'description',
  'subfields',
  'last_name',
  'user',
  'icon_url',
]);

const V1_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function specsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [resolve(here, '../../../../shared/specs'), '/work/shared/specs'];
  const found = candidates.find((d) => existsSync(resolve(d, 'pipedrive-v2-openapi.yml')));
  if (!found) throw new Error(`Pipedrive specs not found in ${candidates.join(', ')}`);
  return found;
}

type Node = Record<string, unknown>;

/** Wraps known-nullable properties in `anyOf [null, original]`. */
function relax(node: unknown): void {
  if (Array.isArray(node)) {
    for (const n of node) relax(n);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const obj = node as Node;
  const props = obj.properties as Node | undefined;
  if (props && typeof props === 'object') {
    for (const [key, schema] of Object.entries(props)) {
      relax(schema);
      if (NULLABLE_KEYS.has(key)) props[key] = { anyOf: [{ type: 'null' }, schema] };
    }
  }
  for (const [key, value] of Object.entries(obj)) if (key !== 'properties') relax(value);
}

export interface SpecValidator {
  /** Errors (empty when valid) for one response of `<v1|v2> METHOD /path/template`. */
  validate(
    version: 'v1' | 'v2',
    method: string,
    path: string,
    status: number,
    body: unknown,
  ): string[];
}

export function loadSpecValidator(): SpecValidator {
  const dir = specsDir();
  // ajv-formats is CJS; under NodeNext its default import is the module object.
  const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
    addFormatsModule) as (a: Ajv) => Ajv;
  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    validateSchema: false,
    validateFormats: true,
  });
  addFormats(ajv);
  ajv.addFormat('date-time', (s: string) => RFC3339.test(s) || V1_TIME.test(s));
  const docs: Record<'v1' | 'v2', Node> = { v1: {}, v2: {} };
  for (const [version, file] of [
    ['v1', 'pipedrive-v1-openapi.yml'],
    ['v2', 'pipedrive-v2-openapi.yml'],
  ] as const) {
    const doc = parse(readFileSync(resolve(dir, file), 'utf8')) as Node;
    relax(doc.components);
    relax(doc.paths);
    docs[version] = doc;
    ajv.addSchema(doc, `pipedrive-${version}`);
  }
  const cache = new Map<string, ValidateFunction>();
  const pointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
  return {
    validate(version, method, path, status, body) {
      const paths = docs[version].paths as Record<
        string,
        Record<string, { responses?: Record<string, unknown> }>
      >;
      const op = paths[path]?.[method.toLowerCase()];
      if (!op) return [`spec has no ${version} ${method} ${path}`];
      const code = op.responses?.[String(status)]
        ? String(status)
        : op.responses?.default
          ? 'default'
          : null;
      if (!code) return [`spec declares no ${status} response for ${version} ${method} ${path}`];
      const key = `${version} ${method} ${path} ${code}`;
      let fn = cache.get(key);
      if (!fn) {
        const ref = `pipedrive-${version}#/paths/${pointer(path)}/${method.toLowerCase()}/responses/${code}/content/application~1json/schema`;
        fn = ajv.compile({ $ref: ref });
        cache.set(key, fn);
      }
      if (fn(body)) return [];
      return (fn.errors ?? []).map(
        (e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
      );
    },
  };
}
