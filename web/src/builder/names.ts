// The trait, event and event property names the builder offers: those a set of audience definitions uses, and those
// of the warehouse's catalog (GET /api/v1/catalog) (pure; see knownNames.ts).
import type { Condition, DataType, Definition } from './model';

export interface KnownNames {
  traits: string[];
  events: string[];
  properties: Map<string, { property: string[]; context: string[] }>; // by event name
  /** The warehouse's type of an event's column (a property's name, or context_<key>), by event name: known from the
   * catalog only. */
  columnTypes: Map<string, Map<string, DataType>>;
}

/** The names used by a set of definitions, sorted. */
export function namesOf(defs: Definition[]): KnownNames {
  const traits = new Set<string>();
  const events = new Set<string>();
  const props = new Map<string, { property: Set<string>; context: Set<string> }>();
  const walk = (c: Condition) => {
    if (c.type === 'trait' && c.trait) traits.add(c.trait);
    if (c.type === 'event' && c.event) {
      events.add(c.event);
      const p = props.get(c.event) ?? { property: new Set(), context: new Set() };
      for (const f of c.where?.filters ?? []) {
        if (f.property) p.property.add(f.property);
        if (f.context) p.context.add(f.context);
        if (f.ref && 'trait' in f.ref && f.ref.trait) traits.add(f.ref.trait);
      }
      props.set(c.event, p);
    }
    for (const f of c.where?.filters ?? []) if (f.ref && 'trait' in f.ref && f.ref.trait) traits.add(f.ref.trait);
    c.children?.conditions.forEach(walk);
  };
  for (const d of defs) for (const g of d.groups ?? []) for (const c of g.conditions ?? []) walk(c);
  const sorted = (s: Set<string>) => [...s].sort();
  return {
    traits: sorted(traits),
    events: sorted(events),
    properties: new Map([...props].map(([e, p]) => [e, { property: sorted(p.property), context: sorted(p.context) }])),
    columnTypes: new Map(),
  };
}

/** The warehouse's traits and event tables, as GET /api/v1/catalog answers them. */
export interface ProfileCatalog {
  traits: string[];
  events: { table: string; columns: { name: string; type: string }[] }[];
}

/** The event table of an event name (data-graph.md): lower case, each run of other characters than a-z0-9 an "_",
 * without leading or trailing "_" (Order Completed is order_completed). */
export function eventTable(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
}

// Columns every event table has, which are not properties.
const EVENT_COLUMNS = new Set(['id', 'segment_id', 'timestamp']);
const DATA_TYPES: DataType[] = ['NUMBER', 'STRING', 'BOOLEAN', 'DATE', 'TIME', 'TIMESTAMP'];

/** The known names with the catalog's added: its traits, its event tables as event names (unless an event name in use
 * already names that table), and each event's property and context columns. */
export function withCatalog(known: KnownNames, catalog: ProfileCatalog | undefined): KnownNames {
  if (!catalog) return known;
  const traits = new Set([...known.traits, ...catalog.traits]);
  const events = new Set(known.events);
  const byTable = new Map(known.events.map((e) => [eventTable(e), e]));
  const properties = new Map([...known.properties].map(([e, p]) => [e, { property: new Set(p.property), context: new Set(p.context) }]));
  const columnTypes = new Map(known.columnTypes);
  for (const t of catalog.events) {
    const name = byTable.get(t.table) ?? t.table;
    events.add(name);
    const p = properties.get(name) ?? { property: new Set<string>(), context: new Set<string>() };
    const types = new Map<string, DataType>();
    for (const c of t.columns) {
      if (EVENT_COLUMNS.has(c.name)) continue;
      const type = c.type.toUpperCase() as DataType;
      if (DATA_TYPES.includes(type)) types.set(c.name, type);
      if (c.name.startsWith('context_')) p.context.add(c.name.slice('context_'.length));
      else p.property.add(c.name);
    }
    properties.set(name, p);
    columnTypes.set(name, types);
  }
  const sorted = (s: Set<string>) => [...s].sort();
  return {
    traits: sorted(traits),
    events: sorted(events),
    properties: new Map([...properties].map(([e, p]) => [e, { property: sorted(p.property), context: sorted(p.context) }])),
    columnTypes,
  };
}
