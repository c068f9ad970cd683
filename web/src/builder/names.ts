// The trait, event and event property names a set of audience definitions uses (pure; see knownNames.ts).
import type { Condition, Definition } from './model';

export interface KnownNames {
  traits: string[];
  events: string[];
  properties: Map<string, { property: string[]; context: string[] }>; // by event name
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
  };
}
