import { describe, expect, it } from 'vitest';
import type { Definition } from './model';
import { eventTable, namesOf, withCatalog, type ProfileCatalog } from './names';

const inUse: Definition = {
  groups: [
    {
      conditions: [
        { type: 'trait', trait: 'plan', filter: { op: 'equals', value: 'pro' } },
        { type: 'event', event: 'Order Completed', count: { op: 'at_least', value: 1 }, where: { filters: [{ property: 'total', op: 'greater_than', value: 10 }] } },
      ],
    },
  ],
} as Definition;

const catalog: ProfileCatalog = {
  traits: ['plan', 'first_name'],
  events: [
    {
      table: 'order_completed',
      columns: [
        { name: 'id', type: 'string' },
        { name: 'segment_id', type: 'string' },
        { name: 'timestamp', type: 'timestamp' },
        { name: 'total', type: 'number' },
        { name: 'currency', type: 'string' },
        { name: 'context_page_url', type: 'string' },
      ],
    },
    { table: 'page_viewed', columns: [{ name: 'id', type: 'string' }, { name: 'name', type: 'string' }] },
  ],
};

describe('names from the catalog', () => {
  it('maps event names to their tables as the warehouse layout does', () => {
    expect(eventTable('Order Completed')).toBe('order_completed');
    expect(eventTable('  Sign-up (v2)!')).toBe('sign_up_v2');
    expect(eventTable('page_viewed')).toBe('page_viewed');
  });

  it('adds the catalog to the names in use, under the event name that already names a table', () => {
    const names = withCatalog(namesOf([inUse]), catalog);
    expect(names.traits).toEqual(['first_name', 'plan']);
    // "Order Completed" names order_completed already; page_viewed is offered by its table's name.
    expect(names.events).toEqual(['Order Completed', 'page_viewed']);
    expect(names.properties.get('Order Completed')).toEqual({ property: ['currency', 'total'], context: ['page_url'] });
    expect(names.properties.get('page_viewed')).toEqual({ property: ['name'], context: [] });
    expect(names.properties.has('order_completed')).toBe(false);
    // The warehouse's types of the columns, by event name: what a property filter is typed as.
    expect(names.columnTypes.get('Order Completed')?.get('total')).toBe('NUMBER');
    expect(names.columnTypes.get('Order Completed')?.get('context_page_url')).toBe('STRING');
    expect(names.columnTypes.get('Order Completed')?.has('timestamp')).toBe(false);
    expect(names.columnTypes.get('page_viewed')?.get('name')).toBe('STRING');
  });

  it('keeps the names in use when there is no catalog (a user who may not view profiles)', () => {
    const known = namesOf([inUse]);
    expect(withCatalog(known, undefined)).toBe(known);
    expect(known.columnTypes.size).toBe(0);
  });
});
