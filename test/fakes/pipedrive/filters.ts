/**
 * Evaluates saved person filters at query time (reference 6: membership is never pushed, only
 * polled with `GET /api/v2/persons?filter_id=`). Supported: conditions on `person` fields
 * name, first/last name, email, phone, org_id, owner_id, label, job_title, add_time,
 * update_time and custom varchar/text/enum/set/double/date fields, with the operators
 * `= != < > <= >= IS NULL, IS NOT NULL, LIKE '$%', LIKE '%$%', NOT LIKE '$%', NOT LIKE '%$%'`.
 * Anything else answers 400 so a test never silently gets the wrong members.
 */
import { badRequest } from './api.ts';
import type { FieldDef, Filter, FilterCondition, Person } from './model.ts';
import type { CompanyStore, Store } from './store.ts';

type Predicate = (p: Person) => boolean;

export function compileFilter(filter: Filter, company: CompanyStore): Predicate {
  if (filter.type !== 'people') throw badRequest(`Filter ${filter.id} is not a people filter`);
  const groups = filter.conditions.conditions.map((g) => ({
    glue: g.glue,
    preds: g.conditions.map((cond) => compileCondition(cond, company)),
  }));
  return (p) =>
    groups.every((g) => {
      if (g.preds.length === 0) return true;
      return g.glue === 'and' ? g.preds.every((f) => f(p)) : g.preds.some((f) => f(p));
    });
}

function values(field: FieldDef, p: Person): Array<string | number> {
  switch (field.key) {
    case 'name':
    case 'first_name':
    case 'last_name':
      return p[field.key] ? [p[field.key]] : [];
    case 'email':
      return p.emails.map((e) => e.value);
    case 'phone':
      return p.phones.map((e) => e.value);
    case 'org_id':
      return p.org_id === null ? [] : [p.org_id];
    case 'owner_id':
      return [p.owner_id];
    case 'label':
      return p.label_ids;
    case 'job_title':
      return p.job_title ? [p.job_title] : [];
    case 'add_time':
    case 'update_time':
      return [new Date(p[field.key]).toISOString().slice(0, 10)];
    default: {
      if (!field.custom) break;
      const v = p.custom_fields[field.key];
      if (v === undefined || v === null) return [];
      if (Array.isArray(v)) return v as number[];
      if (typeof v === 'string' || typeof v === 'number') return [v];
      break;
    }
  }
  throw badRequest(`The fake does not evaluate filter conditions on field '${field.key}'`);
}

function compileCondition(cond: FilterCondition, company: CompanyStore): Predicate {
  if (cond.object !== 'person')
    throw badRequest(`The fake evaluates only person conditions, not '${cond.object}'`);
  const field = company.personFields.find((f) => String(f.id) === cond.field_id);
  if (!field) throw badRequest(`Unknown field_id ${cond.field_id} in filter`);
  const raw = cond.value ?? '';
  const numeric =
    ['org_id', 'owner_id', 'label'].includes(field.key) ||
    ['enum', 'set', 'double'].includes(field.field_type);
  const eq = (v: string | number) =>
    numeric ? Number(v) === Number(raw) : String(v).toLowerCase() === raw.toLowerCase();
  const cmp = (v: string | number) =>
    numeric ? Number(v) - Number(raw) : String(v).localeCompare(raw);
  const low = raw.toLowerCase();
  switch (cond.operator) {
    case '=':
      return (p) => values(field, p).some(eq);
    case '!=':
      return (p) => !values(field, p).some(eq);
    case '<':
      return (p) => values(field, p).some((v) => cmp(v) < 0);
    case '>':
      return (p) => values(field, p).some((v) => cmp(v) > 0);
    case '<=':
      return (p) => values(field, p).some((v) => cmp(v) <= 0);
    case '>=':
      return (p) => values(field, p).some((v) => cmp(v) >= 0);
    case 'IS NULL':
      return (p) => values(field, p).length === 0;
    case 'IS NOT NULL':
      return (p) => values(field, p).length > 0;
    case "LIKE '$%'":
      return (p) => values(field, p).some((v) => String(v).toLowerCase().startsWith(low));
    case "LIKE '%$%'":
      return (p) => values(field, p).some((v) => String(v).toLowerCase().includes(low));
    case "NOT LIKE '$%'":
      return (p) => !values(field, p).some((v) => String(v).toLowerCase().startsWith(low));
    case "NOT LIKE '%$%'":
      return (p) => !values(field, p).some((v) => String(v).toLowerCase().includes(low));
    default:
      throw badRequest(`The fake does not evaluate the operator '${cond.operator}'`);
  }
}

export const SUPPORTED_OPERATORS = [
  '=',
  '!=',
  '<',
  '>',
  '<=',
  '>=',
  'IS NULL',
  'IS NOT NULL',
  "LIKE '$%'",
  "LIKE '%$%'",
  "NOT LIKE '$%'",
  "NOT LIKE '%$%'",
];

/**
 * Saves a people filter whose conditions all hold (`and`), as a user would in Pipedrive's UI:
 * each condition is a person field id, an operator and a value.
 */
export function addPeopleFilter(
  store: Store,
  company: CompanyStore,
  input: {
    name: string;
    at: number;
    /** The owner; the company's first user when not given. */
    userId?: number;
    conditions: Array<[fieldId: string, operator: string, value: string | null]>;
  },
): Filter {
  const id = store.nextId('filter');
  const filter: Filter = {
    id,
    companyId: company.company.id,
    name: input.name,
    type: 'people',
    user_id: input.userId ?? ([...company.users.keys()][0] as number),
    add_time: input.at,
    update_time: input.at,
    visible_to: '3',
    conditions: {
      glue: 'and',
      conditions: [
        {
          glue: 'and',
          conditions: input.conditions.map(([field_id, operator, value]) => ({
            object: 'person',
            field_id,
            operator,
            value,
            extra_value: null,
            json_value_flag: false,
          })),
        },
        { glue: 'or', conditions: [] },
      ],
    },
  };
  company.filters.set(id, filter);
  return filter;
}
