/**
 * Response validation against the vendor contract (Swagger 2.0, `../shared/specs/` next to the
 * repository; override with CC_SWAGGER_PATH). Every definition is registered in one Ajv schema
 * document so `#/definitions/...` refs resolve; Swagger's `x-nullable: true` becomes a
 * `null`-accepting type. Error responses without a schema in the SPEC are checked against the
 * two documented error shapes (§11): arrays (`APIErrorSchema`) for API errors, objects
 * (`AuthorizationErrorSchema` / `StatsError`) for 401, 403, 429 and reporting errors.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

type Schema = Record<string, unknown>;
interface Operation {
  responses?: Record<string, Schema>;
}
interface Swagger {
  paths: Record<string, Record<string, Operation>>;
  definitions: Record<string, Schema>;
  responses: Record<string, Schema>;
}

const DEFAULT_PATH = fileURLToPath(
  new URL('../../../../shared/specs/constant-contact-v3-swagger.yaml', import.meta.url),
);

/** Deep copy turning `x-nullable` into JSON Schema and `#/definitions/X` into `cc#/...`. */
export function convert(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(convert);
  if (node === null || typeof node !== 'object') return node;
  const out: Schema = {};
  for (const [key, value] of Object.entries(node as Schema)) {
    if (key === '$ref' && typeof value === 'string' && value.startsWith('#/definitions/')) {
      out.$ref = `cc${value}`;
    } else if (key === 'example' || key === 'x-nullable') {
      // `example` values in this SPEC are often of the wrong type; they are documentation.
    } else out[key] = convert(value);
  }
  const src = node as Schema;
  if (src['x-nullable'] === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  return out;
}

export interface SpecValidator {
  /** Problems with one response; empty when it conforms. */
  check(method: string, path: string, status: number, body: unknown): string[];
}

let cached: SpecValidator | undefined;

export function loadSpecValidator(
  file = process.env.CC_SWAGGER_PATH ?? DEFAULT_PATH,
): SpecValidator {
  if (cached) return cached;
  const spec = parse(readFileSync(file, 'utf8')) as Swagger;
  const ajv = new Ajv({ strict: false, allErrors: true });
  const addFormats = addFormatsModule as unknown as (a: Ajv) => Ajv;
  addFormats(ajv);
  ajv.addSchema({ $id: 'cc', definitions: convert(spec.definitions) as Schema });
  const compiled = new Map<string, ValidateFunction>();
  const compile = (key: string, schema: unknown): ValidateFunction => {
    let fn = compiled.get(key);
    if (!fn) {
      fn = ajv.compile(convert(schema) as Schema);
      compiled.set(key, fn);
    }
    return fn;
  };
  const templates = Object.keys(spec.paths)
    .map((template) => ({
      template,
      params: (template.match(/\{/g) ?? []).length,
      pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    }))
    .sort((a, b) => a.params - b.params);

  const errorShape = (path: string, status: number): { key: string; schema: Schema } => {
    if (status === 401 || status === 403 || status === 429) {
      return { key: 'auth-error', schema: { $ref: '#/definitions/AuthorizationErrorSchema' } };
    }
    if (path.startsWith('/reports/'))
      return { key: 'stats-error', schema: { $ref: '#/definitions/StatsError' } };
    return { key: 'api-error', schema: { $ref: '#/definitions/APIErrorSchema' } };
  };
  const strictShape = (schema: Schema): Schema =>
    // The two error shapes must be told apart: arrays must be arrays, objects objects.
    schema.$ref === '#/definitions/APIErrorSchema'
      ? {
          allOf: [
            schema,
            { type: 'array', minItems: 1, items: { required: ['error_key', 'error_message'] } },
          ],
        }
      : { allOf: [schema, { type: 'object', required: ['error_key', 'error_message'] }] };

  cached = {
    check(method, fullPath, status, body) {
      const path = fullPath.replace(/^\/v3/, '').split('?')[0] ?? '';
      const match = templates.find(
        (t) => t.pattern.test(path) && spec.paths[t.template]?.[method.toLowerCase()],
      );
      if (!match) return [`${method} ${path}: not in the SPEC`];
      const op = spec.paths[match.template]?.[method.toLowerCase()] as Operation;
      let response = op.responses?.[String(status)];
      if (response?.$ref && typeof response.$ref === 'string') {
        response = spec.responses[response.$ref.replace('#/responses/', '')];
      }
      const where = `${method} ${match.template} ${status}`;
      if (!response && status < 400) return [`${where}: status not documented`];
      if (status === 204) return body === undefined || body === '' ? [] : [`${where}: body on 204`];
      let validate: ValidateFunction;
      if (response?.schema) validate = compile(`${where}`, response.schema);
      else if (status >= 400) {
        const shape = errorShape(path, status);
        validate = compile(shape.key, strictShape(shape.schema));
      } else return [];
      if (validate(body)) return [];
      return (validate.errors ?? []).map(
        (e) => `${where}: ${e.instancePath || '/'} ${e.message ?? ''}`,
      );
    },
  };
  return cached;
}
