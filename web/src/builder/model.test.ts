import { describe, expect, it } from 'vitest';
import { jsonType, operatorsFor, parseConstant, traitType } from './model';
import { withType } from './state';

describe('constants typed by marketers', () => {
  it('become JSON numbers and booleans only in the exact forms the spec allows', () => {
    expect(parseConstant('42', 'NUMBER')).toBe(42);
    expect(parseConstant('-0.5', 'NUMBER')).toBe(-0.5);
    // Not a NUMBER constant: kept as text, so the server reports it at its field.
    expect(parseConstant('1e3', 'NUMBER')).toBe('1e3');
    expect(parseConstant('5_0', 'NUMBER')).toBe('5_0');
    expect(parseConstant('true', 'BOOLEAN')).toBe(true);
    expect(parseConstant('TRUE', 'BOOLEAN')).toBe('TRUE');
    expect(parseConstant('Pro', 'STRING')).toBe('Pro'); // case kept
    expect(parseConstant('2025-01-01', 'DATE')).toBe('2025-01-01');
  });

  it('take their type from the trait filter or the JSON value', () => {
    expect(traitType({ op: 'equals', value: 'pro' })).toBe('STRING');
    expect(traitType({ op: 'equals', value: 3 })).toBe('NUMBER');
    expect(traitType({ op: 'one_of', value: [true] })).toBe('BOOLEAN');
    expect(traitType({ op: 'equals', type: 'date', value: '2025-01-01' })).toBe('DATE');
    expect(jsonType(undefined)).toBeUndefined();
  });

  it('convert when the type changes', () => {
    expect(withType({ property: 'total', op: 'equals', value: '12' }, 'NUMBER')).toStrictEqual({ property: 'total', op: 'equals', value: 12 });
    expect(withType({ property: 'total', op: 'one_of', value: ['1', 'x'] }, 'NUMBER')).toStrictEqual({ property: 'total', op: 'one_of', value: [1, 0] });
    expect(withType({ property: 'gift', op: 'equals', value: 'true' }, 'BOOLEAN')).toStrictEqual({ property: 'gift', op: 'equals', value: true });
    expect(withType({ property: 'code', op: 'equals', value: 7 }, 'STRING')).toStrictEqual({ property: 'code', op: 'equals', value: '7' });
    expect(withType({ column: 'X', op: 'exists' }, 'NUMBER')).toStrictEqual({ column: 'X', op: 'exists' });
  });

  it('of unknown type (event properties) offer every operator', () => {
    const all = operatorsFor(undefined);
    for (const t of ['NUMBER', 'STRING', 'BOOLEAN', 'DATE', 'TIME', 'TIMESTAMP'] as const) for (const op of operatorsFor(t)) expect(all).toContain(op);
  });
});

describe('names the workspace already uses', () => {
  it('are gathered from every level of every definition, sorted and without repeats', async () => {
    const { namesOf } = await import('./names');
    const n = namesOf([
      { groups: [{ conditions: [{ type: 'trait', trait: 'plan' }, { type: 'event', event: 'Order Completed', where: { filters: [{ property: 'total', op: 'exists' }, { context: 'page_url', op: 'equals', ref: { trait: 'home_url' } }] } }] }] },
      {
        groups: [
          {
            conditions: [
              { type: 'entity', relationship: 'user-accounts', children: { conditions: [{ type: 'entity', relationship: 'account-carts', where: { filters: [{ column: 'CURRENCY', op: 'equals', ref: { trait: 'home_currency' } }] } }] } },
              { type: 'trait', trait: 'plan' },
              { type: 'event', event: 'Order Completed', where: { filters: [{ property: 'currency', op: 'exists' }] } },
            ],
          },
        ],
      },
    ]);
    expect(n.traits).toStrictEqual(['home_currency', 'home_url', 'plan']);
    expect(n.events).toStrictEqual(['Order Completed']);
    expect(n.properties.get('Order Completed')).toStrictEqual({ property: ['currency', 'total'], context: ['page_url'] });
  });
});
