// Round trips on many generated audiences: every condition type, entity branches down to six levels, OR groups,
// dynamic references and each window, from a seeded generator (the same audiences on every run).
import { describe, expect, it } from 'vitest';
import type { Condition, Definition, Filter } from './model';
import { duplicateCondition, fromJson, getCondition, removeCondition, toJson, type Addr, type State } from './state';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function gen(seed: number): Definition {
  const r = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const maybe = (p: number) => r() < p;
  const filter = (on: 'column' | 'property' | 'context'): Filter => {
    const f: Filter = { [on]: pick(['STATUS', 'TOTAL', 'page_url', 'currency']), op: pick(['equals', 'greater_than', 'one_of', 'exists', 'contains']) };
    if (f.op === 'exists') return f;
    if (f.op === 'one_of') return { ...f, value: pick([['a', 'b'], [1, 2, 3]]) };
    if (maybe(0.3)) return { ...f, ref: on === 'column' ? pick([{ column: 'LIMIT' }, { column: 'LIMIT', relationship: 'user-accounts' }, { trait: 'plan' }]) : { trait: 'home_currency' } };
    return { ...f, value: pick(['x', 100, 2.5, true, '2025-01-01']) };
  };
  const where = (on: 'column' | 'property' | 'context') => ({
    ...(maybe(0.5) ? { operator: pick(['and', 'or'] as const) } : {}),
    filters: Array.from({ length: 1 + Math.floor(r() * 3) }, () => filter(on)),
  });
  const count = () => ({ op: pick(['at_least', 'exactly', 'at_most'] as const), value: Math.floor(r() * 4) });
  const entity = (level: number): Condition => {
    const c: Condition = { type: 'entity', relationship: pick(['user-accounts', 'account-carts', 'cart-products', 'product-brand', 'brand-owner']) };
    if (maybe(0.3)) c.without = true;
    if (maybe(0.5)) c.count = count();
    if (maybe(0.6)) c.where = where('column');
    if (level < 6 && maybe(0.6)) c.children = { ...(maybe(0.5) ? { operator: pick(['and', 'or'] as const) } : {}), conditions: Array.from({ length: 1 + Math.floor(r() * 2) }, () => entity(level + 1)) };
    return c;
  };
  const condition = (): Condition => {
    switch (pick(['trait', 'audience', 'event', 'entity'])) {
      case 'trait':
        return { type: 'trait', trait: pick(['plan', 'lifetime_value']), ...(maybe(0.8) ? { filter: { ...(maybe(0.3) ? { type: 'number' } : {}), op: 'equals', value: pick(['pro', 3]) } } : {}), ...(maybe(0.2) ? { without: true } : {}) };
      case 'audience':
        return { type: 'audience', audience: pick(['churn_risk', 'vip']), ...(maybe(0.4) ? { without: true } : {}) };
      case 'event': {
        const c: Condition = { type: 'event', event: pick(['Order Completed', 'Page Viewed']) };
        if (maybe(0.5)) c.count = count();
        const w = pick([0, 1, 2, 3]);
        if (w === 1) c.window = { within: { value: 1 + Math.floor(r() * 90), unit: pick(['minutes', 'hours', 'days', 'weeks'] as const) } };
        if (w === 2) c.window = { more_than_ago: { value: 7, unit: 'days' } };
        if (w === 3) c.window = { between: { from: '2025-01-01', to: '2025-06-30T12:00:00Z' } };
        if (maybe(0.5)) c.where = where(pick(['property', 'context'] as const));
        return c;
      }
      default:
        return entity(2);
    }
  };
  const d: Definition = {
    ...(maybe(0.6) ? { groups_operator: pick(['and', 'or'] as const) } : {}),
    groups: Array.from({ length: 1 + Math.floor(r() * 3) }, () => ({
      ...(maybe(0.5) ? { operator: pick(['and', 'or'] as const) } : {}),
      conditions: Array.from({ length: 1 + Math.floor(r() * 3) }, condition),
    })),
  };
  return d;
}

/** Every condition's address in the state. */
function addresses(s: State): Addr[] {
  const out: Addr[] = [];
  const walk = (addr: Addr) => {
    out.push(addr);
    const c = getCondition(s, addr);
    c.children?.conditions.forEach((_, i) => walk([...addr, i]));
  };
  s.groups.forEach((g, gi) => g.conditions.forEach((_, ci) => walk([gi, ci])));
  return out;
}

function depth(c: Condition): number {
  return 1 + Math.max(0, ...(c.children?.conditions ?? []).map(depth));
}

describe('generated audiences', () => {
  const seeds = Array.from({ length: 200 }, (_, i) => i + 1);
  it('cover nested entities to six levels, OR groups, references and every window', () => {
    const all = seeds.map(gen);
    const conds = all.flatMap((d) => d.groups.flatMap((g) => g.conditions));
    expect(Math.max(...conds.filter((c) => c.type === 'entity').map(depth))).toBe(5); // levels 2..6
    expect(all.some((d) => d.groups_operator === 'or')).toBe(true);
    const text = JSON.stringify(all);
    for (const s of ['"ref":{"column"', '"ref":{"trait"', '"within"', '"more_than_ago"', '"between"', '"type":"audience"', '"type":"trait"']) expect(text).toContain(s);
  });

  for (const seed of seeds) {
    it(`seed ${seed}: JSON in, the same JSON out, also after duplicating and removing each condition`, () => {
      const d = gen(seed);
      const copy = structuredClone(d);
      const s = fromJson(d);
      expect(toJson(s)).toStrictEqual(copy);
      for (const addr of addresses(s)) {
        const next = [...addr.slice(0, -1), addr[addr.length - 1] + 1];
        const dup = duplicateCondition(s, addr);
        expect(toJson(getConditionState(dup, next))).toStrictEqual(toJson(getConditionState(s, addr)));
        expect(toJson(removeCondition(dup, next))).toStrictEqual(copy);
      }
      expect(d).toStrictEqual(copy);
    });
  }
});

/** A state holding only the condition at addr (to compare one condition's JSON). */
function getConditionState(s: State, addr: Addr): State {
  return { groups: [{ _k: 'g', conditions: [getCondition(s, addr)] }] };
}
