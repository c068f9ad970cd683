import { describe, expect, it } from 'vitest';
import type { Definition } from './model';
import { operatorsFor } from './model';
import {
  addChild,
  addCondition,
  addFilter,
  duplicateCondition,
  errorsAt,
  fromJson,
  getCondition,
  newCondition,
  pointerOf,
  relationshipsUsed,
  removeCondition,
  removeFilter,
  setGroupOperator,
  setGroupsOperator,
  setRelationship,
  setWithout,
  toJson,
  updateFilter,
  withOperator,
} from './state';

// Audiences covering every condition type, nested entities, OR groups, dynamic references and windows.
const AUDIENCES: Record<string, Definition> = {
  trait: { groups: [{ conditions: [{ type: 'trait', trait: 'plan', filter: { op: 'equals', value: 'pro' } }] }] },
  traitTyped: {
    groups: [{ conditions: [{ type: 'trait', trait: 'lifetime_value', filter: { type: 'number', op: 'one_of', value: [1, 2.5] } }] }],
  },
  traitNoFilter: { groups: [{ conditions: [{ type: 'trait', trait: 'birthday' }] }] },
  audienceWithout: { groups: [{ conditions: [{ type: 'audience', audience: 'churn_risk', without: true }] }] },
  eventWindows: {
    groups_operator: 'or',
    groups: [
      { conditions: [{ type: 'event', event: 'Order Completed', count: { op: 'at_least', value: 2 }, window: { within: { value: 30, unit: 'days' } } }] },
      { conditions: [{ type: 'event', event: 'Signed Up', window: { more_than_ago: { value: 2, unit: 'weeks' } } }] },
      {
        operator: 'or',
        conditions: [
          { type: 'event', event: 'Page Viewed', count: { op: 'exactly', value: 0 }, window: { between: { from: '2025-01-01', to: '2025-02-01T00:00:00Z' } } },
          { type: 'event', event: 'Cart Abandoned', count: { op: 'at_most', value: 3 } },
        ],
      },
    ],
  },
  eventWhereRefs: {
    groups: [
      {
        conditions: [
          {
            type: 'event',
            event: 'Order Completed',
            where: {
              operator: 'and',
              filters: [
                { property: 'total', op: 'greater_than', value: 100 },
                { context: 'page_url', op: 'contains', value: '/sale' },
                { property: 'currency', op: 'equals', ref: { trait: 'home_currency' } },
                { property: 'coupon', op: 'not_exists' },
              ],
            },
          },
        ],
      },
    ],
  },
  specExample: {
    groups_operator: 'or',
    groups: [
      {
        operator: 'and',
        conditions: [
          { type: 'trait', trait: 'plan', filter: { op: 'equals', value: 'pro' } },
          { type: 'audience', audience: 'churn_risk', without: true },
          {
            type: 'entity',
            relationship: 'user-accounts',
            count: { op: 'at_least', value: 1 },
            where: { operator: 'and', filters: [{ column: 'STATUS', op: 'equals', value: 'active' }] },
            children: {
              operator: 'or',
              conditions: [
                {
                  type: 'entity',
                  relationship: 'account-carts',
                  where: { operator: 'and', filters: [{ column: 'TOTAL', op: 'greater_than', ref: { column: 'CREDIT_LIMIT', relationship: 'user-accounts' } }] },
                },
                { type: 'entity', relationship: 'user-cards', without: true },
              ],
            },
          },
        ],
      },
    ],
  },
  sixLevels: {
    groups: [
      {
        conditions: [
          {
            type: 'entity',
            relationship: 'user-accounts',
            children: {
              conditions: [
                {
                  type: 'entity',
                  relationship: 'account-carts',
                  count: { op: 'exactly', value: 0 },
                  children: {
                    conditions: [
                      {
                        type: 'entity',
                        relationship: 'cart-products',
                        where: { filters: [{ column: 'IN_STOCK', op: 'equals', value: true }, { column: 'SKU', op: 'equals', ref: { column: 'NAME' } }] },
                        children: {
                          conditions: [
                            {
                              type: 'entity',
                              relationship: 'product-brand',
                              where: { operator: 'or', filters: [{ column: 'IS_PREMIUM', op: 'equals', value: true }, { column: 'NAME', op: 'starts_with', ref: { trait: 'last_name' } }] },
                              children: { conditions: [{ type: 'entity', relationship: 'brand-owner', count: { op: 'at_most', value: 2 } }] },
                            },
                          ],
                        },
                      },
                    ],
                  },
                },
              ],
            },
          },
        ],
      },
    ],
  },
};

describe('builder state round trip', () => {
  for (const [name, def] of Object.entries(AUDIENCES)) {
    it(`${name}: JSON in, the same JSON out`, () => {
      const copy = structuredClone(def);
      expect(toJson(fromJson(def))).toStrictEqual(copy);
      expect(def).toStrictEqual(copy); // the input is not changed
    });
    it(`${name}: the same JSON after a no-op edit`, () => {
      const s = fromJson(def);
      const noop = setGroupsOperator(s, s.groups_operator ?? 'and');
      const out = toJson(noop);
      if (def.groups_operator === undefined) delete out.groups_operator;
      expect(out).toStrictEqual(def);
      // Duplicating then removing the copy is also a no-op.
      const addr = [0, 0];
      expect(toJson(removeCondition(duplicateCondition(s, addr), [0, 1]))).toStrictEqual(def);
    });
  }

  it('keys are unique across the tree and never reach the JSON', () => {
    const s = fromJson(AUDIENCES.sixLevels);
    const keys: string[] = [];
    const walk = (o: unknown) => {
      if (Array.isArray(o)) o.forEach(walk);
      else if (o && typeof o === 'object') {
        for (const [k, v] of Object.entries(o)) {
          if (k === '_k') keys.push(v as string);
          walk(v);
        }
      }
    };
    walk(s);
    expect(keys.length).toBe(1 + 5 + 4); // one group, five conditions, four filters
    expect(new Set(keys).size).toBe(keys.length);
    expect(JSON.stringify(toJson(s))).not.toContain('_k');
  });
});

describe('builder edits', () => {
  it('adds a condition to a group and a new OR group', () => {
    let s = fromJson(AUDIENCES.trait);
    s = addCondition(s, 0, newCondition('audience'));
    s = addCondition(s, 1, newCondition('event'));
    s = setGroupsOperator(s, 'or');
    s = setGroupOperator(s, 0, 'or');
    expect(toJson(s)).toStrictEqual({
      groups_operator: 'or',
      groups: [
        {
          operator: 'or',
          conditions: [
            { type: 'trait', trait: 'plan', filter: { op: 'equals', value: 'pro' } },
            { type: 'audience', audience: '' },
          ],
        },
        { conditions: [{ type: 'event', event: '', count: { op: 'at_least', value: 1 } }] },
      ],
    });
  });

  it('duplicates a nested condition right after itself, with its own keys', () => {
    const s = fromJson(AUDIENCES.specExample);
    const t = duplicateCondition(s, [0, 2, 0]);
    const kids = toJson(t).groups[0].conditions[2].children!.conditions;
    expect(kids.map((c) => c.relationship)).toStrictEqual(['account-carts', 'account-carts', 'user-cards']);
    expect(kids[1]).toStrictEqual(kids[0]);
    expect(getCondition(t, [0, 2, 1])._k).not.toBe(getCondition(t, [0, 2, 0])._k);
    expect(getCondition(t, [0, 2, 1]).where!.filters[0]._k).not.toBe(getCondition(t, [0, 2, 0]).where!.filters[0]._k);
    // The original state is unchanged.
    expect(toJson(s)).toStrictEqual(AUDIENCES.specExample);
  });

  it('removes conditions: an emptied group goes, an emptied children goes', () => {
    let s = fromJson(AUDIENCES.eventWindows);
    s = removeCondition(s, [1, 0]);
    expect(toJson(s).groups.length).toBe(2);
    let n = fromJson(AUDIENCES.sixLevels);
    n = removeCondition(n, [0, 0, 0, 0, 0, 0]);
    expect(toJson(n).groups[0].conditions[0].children!.conditions[0].children!.conditions[0].children!.conditions[0]).toStrictEqual({
      type: 'entity',
      relationship: 'product-brand',
      where: { operator: 'or', filters: [{ column: 'IS_PREMIUM', op: 'equals', value: true }, { column: 'NAME', op: 'starts_with', ref: { trait: 'last_name' } }] },
    });
  });

  it('changes an operator: the value keeps its shape for the new operator', () => {
    const f = { column: 'STATUS', op: 'equals', value: 'active' };
    expect(withOperator(f, 'one_of')).toStrictEqual({ column: 'STATUS', op: 'one_of', value: ['active'] });
    expect(withOperator(withOperator(f, 'one_of'), 'contains')).toStrictEqual({ column: 'STATUS', op: 'contains', value: 'active' });
    expect(withOperator(f, 'exists')).toStrictEqual({ column: 'STATUS', op: 'exists' });
    expect(withOperator({ column: 'TOTAL', op: 'greater_than', ref: { column: 'LIMIT' } }, 'one_of')).toStrictEqual({ column: 'TOTAL', op: 'one_of', value: [] });
    expect(withOperator({ column: 'TOTAL', op: 'greater_than', ref: { column: 'LIMIT' } }, 'less_than')).toStrictEqual({ column: 'TOTAL', op: 'less_than', ref: { column: 'LIMIT' } });
    let s = fromJson(AUDIENCES.specExample);
    s = updateFilter(s, [0, 2], 0, (x) => withOperator(x, 'not_equals'));
    expect(toJson(s).groups[0].conditions[2].where).toStrictEqual({ operator: 'and', filters: [{ column: 'STATUS', op: 'not_equals', value: 'active' }] });
  });

  it('adds and removes filters and children, negates, and changes relationship', () => {
    let s = fromJson({ groups: [{ conditions: [{ type: 'entity', relationship: 'user-accounts' }] }] });
    s = addFilter(s, [0, 0], { column: 'STATUS', op: 'equals', value: 'active' });
    s = addChild(s, [0, 0], { type: 'entity', relationship: 'account-carts' });
    s = setWithout(s, [0, 0, 0], true);
    expect(toJson(s)).toStrictEqual({
      groups: [
        {
          conditions: [
            {
              type: 'entity',
              relationship: 'user-accounts',
              where: { filters: [{ column: 'STATUS', op: 'equals', value: 'active' }] },
              children: { conditions: [{ type: 'entity', relationship: 'account-carts', without: true }] },
            },
          ],
        },
      ],
    });
    expect(relationshipsUsed(s)).toStrictEqual(new Set(['user-accounts', 'account-carts']));
    s = setWithout(s, [0, 0, 0], false);
    s = removeFilter(s, [0, 0], 0);
    expect(toJson(s).groups[0].conditions[0]).toStrictEqual({
      type: 'entity',
      relationship: 'user-accounts',
      children: { conditions: [{ type: 'entity', relationship: 'account-carts' }] },
    });
    s = setRelationship(s, [0, 0], 'user-cards');
    expect(toJson(s).groups[0].conditions[0]).toStrictEqual({ type: 'entity', relationship: 'user-cards' });
  });

  it('names conditions by JSON pointer and finds validation errors under them', () => {
    expect(pointerOf([0, 2, 1])).toBe('/groups/0/conditions/2/children/conditions/1');
    const errors = [
      { pointer: '/definition/groups/0/conditions/2/children/conditions/1/where/filters/0/value', message: 'bad value' },
      { pointer: '/definition/groups/0/conditions/20', message: 'other' },
    ];
    expect(errorsAt(errors, pointerOf([0, 2, 1]))).toStrictEqual(['bad value']);
    expect(errorsAt(errors, '/groups/0/conditions/2')).toStrictEqual(['bad value']);
    expect(errorsAt(errors, pointerOf([0, 2, 1]) + '/where/filters/0/value', true)).toStrictEqual(['bad value']);
  });

  it('offers the operators each type allows', () => {
    expect(operatorsFor('BOOLEAN')).toStrictEqual(['equals', 'not_equals', 'exists', 'not_exists']);
    expect(operatorsFor('STRING')).toContain('starts_with');
    expect(operatorsFor('STRING')).not.toContain('less_than');
    expect(operatorsFor('DATE')).toContain('less_than');
    expect(operatorsFor('NUMBER')).not.toContain('contains');
  });
});
