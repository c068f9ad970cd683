// The builder's state: an audience definition as the editor holds it, and every edit as a pure function.
//
//   const s = fromJson(definition);          // each group, condition and filter gets a key for React
//   const t = duplicateCondition(s, [0, 1]); // address: group 0, condition 1 (then child indices)
//   toJson(t);                               // the definition again, keys stripped
//
// Invariant: toJson(fromJson(d)) deep-equals d for every definition d (no key added, none dropped, order kept),
// so opening an audience and saving it without a change sends back the same JSON.
import type { BoolOp, Condition, Count, DataType, Definition, Filter, Group, Window } from './model';
import { REF_OPERATORS } from './model';

/** A node of the editor's tree carries `_k`, a key unique within the state. */
type Keyed<T> = T & { _k: string };
export type EFilter = Keyed<Filter>;
export type ECondition = Keyed<Omit<Condition, 'where' | 'children'>> & {
  where?: { operator?: BoolOp; filters: EFilter[] };
  children?: { operator?: BoolOp; conditions: ECondition[] };
};
export type EGroup = Keyed<Omit<Group, 'conditions'>> & { conditions: ECondition[] };
export interface State {
  groups_operator?: BoolOp;
  groups: EGroup[];
  [extra: string]: unknown;
}

/** A condition's address: [group index, condition index, child index, child index, ...]. */
export type Addr = readonly number[];

let counter = 0;
const key = () => `k${++counter}`;

function keyFilter(f: Filter): EFilter {
  return { ...f, _k: key() };
}

function keyCondition(c: Condition): ECondition {
  const out: ECondition = { ...(c as Omit<Condition, 'where' | 'children'>), _k: key() };
  if (c.where) out.where = { ...c.where, filters: (c.where.filters ?? []).map(keyFilter) };
  if (c.children) out.children = { ...c.children, conditions: (c.children.conditions ?? []).map(keyCondition) };
  return out;
}

export function fromJson(d: Definition): State {
  return { ...d, groups: (d.groups ?? []).map((g) => ({ ...g, _k: key(), conditions: (g.conditions ?? []).map(keyCondition) })) };
}

function strip<T extends { _k?: string }>(o: T): Omit<T, '_k'> {
  const { _k, ...rest } = o;
  void _k;
  return rest;
}

function plainCondition(c: ECondition): Condition {
  const out = strip(c) as Condition;
  if (c.where) out.where = { ...c.where, filters: c.where.filters.map((f) => strip(f) as Filter) };
  if (c.children) out.children = { ...c.children, conditions: c.children.conditions.map(plainCondition) };
  return out;
}

export function toJson(s: State): Definition {
  return { ...s, groups: s.groups.map((g) => ({ ...strip(g), conditions: g.conditions.map(plainCondition) })) } as Definition;
}

/** The JSON pointer of a condition (`/groups/0/conditions/2/children/conditions/1`). */
export function pointerOf(addr: Addr): string {
  let p = `/groups/${addr[0]}/conditions/${addr[1]}`;
  for (const i of addr.slice(2)) p += `/children/conditions/${i}`;
  return p;
}

/** The level of the condition at addr in the graph, counting the profile as 1 (an entity in a group is 2). */
export function levelOf(addr: Addr): number {
  return addr.length;
}

export function getCondition(s: State, addr: Addr): ECondition {
  let c = s.groups[addr[0]].conditions[addr[1]];
  for (const i of addr.slice(2)) c = c.children!.conditions[i];
  return c;
}

/** The entity conditions from the first level down to addr (its branch), outermost first. */
export function branchOf(s: State, addr: Addr): ECondition[] {
  const out: ECondition[] = [];
  for (let n = 2; n <= addr.length; n++) out.push(getCondition(s, addr.slice(0, n)));
  return out;
}

/** Replaces the list of conditions that holds addr's last index (a group's, or a parent's children). */
function updateSiblings(s: State, addr: Addr, fn: (list: ECondition[]) => ECondition[]): State {
  if (addr.length === 2) {
    return { ...s, groups: s.groups.map((g, gi) => (gi === addr[0] ? { ...g, conditions: fn(g.conditions) } : g)) };
  }
  const parent = addr.slice(0, -1);
  return updateCondition(s, parent, (p) => ({ ...p, children: { ...p.children!, conditions: fn(p.children!.conditions) } }));
}

export function updateCondition(s: State, addr: Addr, fn: (c: ECondition) => ECondition): State {
  const i = addr[addr.length - 1];
  return updateSiblings(s, addr, (list) => list.map((c, ci) => (ci === i ? fn(c) : c)));
}

/** Sets (or, with undefined, removes) one member of a condition. */
export function setConditionField<K extends keyof ECondition>(s: State, addr: Addr, k: K, v: ECondition[K] | undefined): State {
  return updateCondition(s, addr, (c) => {
    const out = { ...c };
    if (v === undefined) delete out[k];
    else out[k] = v;
    return out;
  });
}

export function newCondition(type: Condition['type']): Condition {
  switch (type) {
    case 'trait':
      return { type: 'trait', trait: '', filter: { op: 'equals', value: '' } };
    case 'audience':
      return { type: 'audience', audience: '' };
    case 'event':
      return { type: 'event', event: '', count: { op: 'at_least', value: 1 } };
    case 'entity':
      return { type: 'entity', relationship: '' };
  }
}

/** Adds a condition at the end of group gi (gi = groups.length adds a new group). */
export function addCondition(s: State, gi: number, c: Condition): State {
  if (gi >= s.groups.length) return { ...s, groups: [...s.groups, { _k: key(), conditions: [keyCondition(c)] }] };
  return updateSiblings(s, [gi, 0], (list) => [...list, keyCondition(c)]);
}

/** Adds a child condition (a related entity) under the entity condition at addr. */
export function addChild(s: State, addr: Addr, c: Condition): State {
  return updateCondition(s, addr, (p) => ({
    ...p,
    children: { ...(p.children ?? {}), conditions: [...(p.children?.conditions ?? []), keyCondition(c)] },
  }));
}

/** Inserts a copy of the condition at addr right after it. */
export function duplicateCondition(s: State, addr: Addr): State {
  const copy = keyCondition(plainCondition(structuredClone(getCondition(s, addr))));
  const i = addr[addr.length - 1];
  return updateSiblings(s, addr, (list) => [...list.slice(0, i + 1), copy, ...list.slice(i + 1)]);
}

/** Removes the condition at addr; a group left empty goes too (unless it is the last), and so does an emptied `children`. */
export function removeCondition(s: State, addr: Addr): State {
  const i = addr[addr.length - 1];
  if (addr.length === 2) {
    const g = s.groups[addr[0]];
    if (g.conditions.length === 1 && s.groups.length > 1) return removeGroup(s, addr[0]);
    return updateSiblings(s, addr, (list) => list.filter((_, ci) => ci !== i));
  }
  const parent = addr.slice(0, -1);
  return updateCondition(s, parent, (p) => {
    const rest = p.children!.conditions.filter((_, ci) => ci !== i);
    const out = { ...p };
    if (rest.length === 0) delete out.children;
    else out.children = { ...p.children!, conditions: rest };
    return out;
  });
}

export function removeGroup(s: State, gi: number): State {
  return { ...s, groups: s.groups.filter((_, i) => i !== gi) };
}

export function setGroupsOperator(s: State, op: BoolOp): State {
  return { ...s, groups_operator: op };
}

export function setGroupOperator(s: State, gi: number, op: BoolOp): State {
  return { ...s, groups: s.groups.map((g, i) => (i === gi ? { ...g, operator: op } : g)) };
}

export function setChildrenOperator(s: State, addr: Addr, op: BoolOp): State {
  return updateCondition(s, addr, (c) => ({ ...c, children: { ...c.children!, operator: op } }));
}

export function setWhereOperator(s: State, addr: Addr, op: BoolOp): State {
  return updateCondition(s, addr, (c) => ({ ...c, where: { ...c.where!, operator: op } }));
}

export function setWithout(s: State, addr: Addr, without: boolean): State {
  return setConditionField(s, addr, 'without', without ? true : undefined);
}

export function setCount(s: State, addr: Addr, count: Count | undefined): State {
  return setConditionField(s, addr, 'count', count);
}

export function setWindow(s: State, addr: Addr, w: Window | undefined): State {
  return setConditionField(s, addr, 'window', w);
}

/** Changes an entity condition's relationship; its filters and children no longer apply and go. */
export function setRelationship(s: State, addr: Addr, slug: string): State {
  return updateCondition(s, addr, (c) => {
    const out = { ...c, relationship: slug };
    delete out.where;
    delete out.children;
    return out;
  });
}

export function addFilter(s: State, addr: Addr, f: Filter): State {
  return updateCondition(s, addr, (c) => ({
    ...c,
    where: { ...(c.where ?? {}), filters: [...(c.where?.filters ?? []), keyFilter(f)] },
  }));
}

export function updateFilter(s: State, addr: Addr, fi: number, fn: (f: EFilter) => EFilter): State {
  return updateCondition(s, addr, (c) => ({ ...c, where: { ...c.where!, filters: c.where!.filters.map((f, i) => (i === fi ? fn(f) : f)) } }));
}

export function removeFilter(s: State, addr: Addr, fi: number): State {
  return updateCondition(s, addr, (c) => {
    const rest = c.where!.filters.filter((_, i) => i !== fi);
    const out = { ...c };
    if (rest.length === 0) delete out.where;
    else out.where = { ...c.where!, filters: rest };
    return out;
  });
}

/**
 * A filter with another operator: the value keeps its meaning where it can (a constant becomes a one-item list for
 * one_of, a list its first item otherwise); exists/not_exists drop value and ref; a ref goes when the operator takes none.
 */
export function withOperator<F extends Filter>(f: F, op: string): F {
  const out = { ...f, op };
  if (op === 'exists' || op === 'not_exists') {
    delete out.value;
    delete out.ref;
    return out;
  }
  if (op === 'one_of' || op === 'not_one_of') {
    delete out.ref;
    if (!Array.isArray(out.value)) out.value = out.value === undefined || out.value === '' ? [] : [out.value];
    return out;
  }
  if (Array.isArray(out.value)) out.value = out.value[0] ?? '';
  if (out.ref && !REF_OPERATORS.has(op)) delete out.ref;
  if (out.value === undefined && out.ref === undefined) out.value = '';
  return out;
}

/** A filter's value as the type needs it, converted from what the old type held where possible. */
export function withType<F extends Filter>(f: F, type: DataType): F {
  const conv = (v: unknown): unknown => {
    if (type === 'NUMBER') return typeof v === 'number' ? v : /^-?[0-9]+(\.[0-9]+)?$/.test(String(v)) ? Number(v) : 0;
    if (type === 'BOOLEAN') return typeof v === 'boolean' ? v : String(v) === 'true';
    return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
  };
  const out = { ...f };
  if (Array.isArray(out.value)) out.value = out.value.map(conv);
  else if (out.value !== undefined) out.value = conv(out.value);
  return out;
}

/** Every entity relationship slug the definition uses. */
export function relationshipsUsed(d: Definition | State): Set<string> {
  const out = new Set<string>();
  const walk = (c: Condition | ECondition) => {
    if (c.type === 'entity' && c.relationship) out.add(c.relationship);
    for (const ch of c.children?.conditions ?? []) walk(ch);
  };
  for (const g of d.groups) for (const c of g.conditions) walk(c);
  return out;
}

/** Errors of a validation answer whose pointer lies at or under `pointer` (the body's `/definition` prefix removed). */
export function errorsAt(errors: { pointer: string; message: string }[], pointer: string, exact = false): string[] {
  return errors
    .map((e) => ({ ...e, pointer: e.pointer.replace(/^\/definition/, '') }))
    .filter((e) => (exact ? e.pointer === pointer : e.pointer === pointer || e.pointer.startsWith(pointer + '/')))
    .map((e) => e.message);
}
