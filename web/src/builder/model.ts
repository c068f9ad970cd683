// The audience language (../shared/spec/audiences.md) as TypeScript types, and what each data type allows.
// The OpenAPI document types a condition loosely (one object for all four types); the builder works on these.

export type BoolOp = 'and' | 'or';
export type CountOp = 'at_least' | 'exactly' | 'at_most';
export type DataType = 'NUMBER' | 'STRING' | 'BOOLEAN' | 'DATE' | 'TIME' | 'TIMESTAMP';
export type TimeUnit = 'minutes' | 'hours' | 'days' | 'weeks';

export interface Count {
  op: CountOp;
  value: number;
}

export type Ref = { trait: string } | { column: string; relationship?: string };

export interface Filter {
  column?: string;
  property?: string;
  context?: string;
  type?: string;
  op: string;
  value?: unknown;
  ref?: Ref;
}

export interface Where {
  operator?: BoolOp;
  filters: Filter[];
}

export type Window =
  | { within: { value: number; unit: TimeUnit } }
  | { more_than_ago: { value: number; unit: TimeUnit } }
  | { between: { from: string; to: string } };

export interface Condition {
  type: 'trait' | 'audience' | 'event' | 'entity';
  without?: boolean;
  trait?: string;
  filter?: Filter;
  audience?: string;
  event?: string;
  relationship?: string;
  count?: Count;
  window?: Window;
  where?: Where;
  children?: { operator?: BoolOp; conditions: Condition[] };
}

export interface Group {
  operator?: BoolOp;
  conditions: Condition[];
}

export interface Definition {
  groups_operator?: BoolOp;
  groups: Group[];
}

/** At most 6 levels counting the profile: an entity condition directly in a group is level 2. */
export const MAX_LEVELS = 6;

const ORDERED = ['equals', 'not_equals', 'less_than', 'greater_than', 'less_than_or_equal', 'greater_than_or_equal'];
const TEXT = ['equals', 'not_equals', 'contains', 'not_contains', 'starts_with', 'ends_with'];
const LISTS = ['one_of', 'not_one_of'];
const PRESENCE = ['exists', 'not_exists'];

/** The operators each data type allows (audiences.md, "Filters"). */
export function operatorsFor(type: DataType | undefined): string[] {
  switch (type) {
    case 'NUMBER':
    case 'DATE':
    case 'TIME':
    case 'TIMESTAMP':
      return [...ORDERED, ...LISTS, ...PRESENCE];
    case 'STRING':
      return [...TEXT, ...LISTS, ...PRESENCE];
    case 'BOOLEAN':
      return ['equals', 'not_equals', ...PRESENCE];
    default: // unknown type (event properties): every operator
      return [...ORDERED, 'contains', 'not_contains', 'starts_with', 'ends_with', ...LISTS, ...PRESENCE];
  }
}

/** The operators that may take a dynamic reference instead of a constant. */
export const REF_OPERATORS = new Set([...ORDERED, 'contains', 'not_contains', 'starts_with', 'ends_with']);

export const OPERATOR_LABELS: Record<string, string> = {
  equals: 'equals',
  not_equals: 'does not equal',
  less_than: 'is less than',
  greater_than: 'is greater than',
  less_than_or_equal: 'is at most',
  greater_than_or_equal: 'is at least',
  contains: 'contains',
  not_contains: 'does not contain',
  starts_with: 'starts with',
  ends_with: 'ends with',
  one_of: 'is one of',
  not_one_of: 'is not one of',
  exists: 'exists',
  not_exists: 'does not exist',
};

export const COUNT_LABELS: Record<CountOp, string> = { at_least: 'at least', exactly: 'exactly', at_most: 'at most' };

/** A trait filter's `type` key (lower case) as a data type. */
export function traitType(f: Filter | undefined): DataType | undefined {
  if (!f) return undefined;
  if (f.type) return f.type.toUpperCase() as DataType;
  const v = Array.isArray(f.value) ? f.value[0] : f.value;
  if (typeof v === 'number') return 'NUMBER';
  if (typeof v === 'boolean') return 'BOOLEAN';
  return 'STRING';
}

/** The data type of a constant as JSON holds it (event properties, whose column types the API does not give). */
export function jsonType(v: unknown): DataType | undefined {
  const x = Array.isArray(v) ? v[0] : v;
  if (typeof x === 'number') return 'NUMBER';
  if (typeof x === 'boolean') return 'BOOLEAN';
  if (typeof x === 'string') return 'STRING';
  return undefined;
}

/** Text typed by a marketer as the JSON constant a type needs (NUMBER as a number, BOOLEAN as a boolean). */
export function parseConstant(text: string, type: DataType | undefined): unknown {
  if (type === 'NUMBER') {
    return /^-?[0-9]+(\.[0-9]+)?$/.test(text.trim()) ? Number(text.trim()) : text;
  }
  if (type === 'BOOLEAN') return text === 'true' ? true : text === 'false' ? false : text;
  return text;
}

export function constantText(v: unknown): string {
  if (v === undefined || v === null) return '';
  return String(v);
}
