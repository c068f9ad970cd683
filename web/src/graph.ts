// The data graph as the builder needs it: GET /api/v1/graph, indexed by relationship slug.
import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { api, ApiError, call, type GraphEntity, type GraphRelationship, type GraphView } from './api/client';
import type { DataType } from './builder/model';

export interface RelInfo {
  rel: GraphRelationship;
  parent: string | null; // the parent relationship's slug; null at the first level
  entity: GraphEntity | undefined;
}

export interface GraphIndex {
  view: GraphView;
  rels: Map<string, RelInfo>;
  entities: Map<string, GraphEntity>;
  /** The relationships allowed under parent (null: the first level). */
  childrenOf(parent: string | null): GraphRelationship[];
  columnType(relationship: string, column: string): DataType | undefined;
}

export function indexGraph(view: GraphView): GraphIndex {
  const entities = new Map(view.entities.map((e) => [e.slug, e]));
  const rels = new Map<string, RelInfo>();
  const walk = (r: GraphRelationship, parent: string | null) => {
    rels.set(r.slug, { rel: r, parent, entity: entities.get(r.entity) });
    r.children.forEach((c) => walk(c, r.slug));
  };
  view.relationships.forEach((r) => walk(r, null));
  return {
    view,
    rels,
    entities,
    childrenOf: (parent) => (parent === null ? view.relationships : (rels.get(parent)?.rel.children ?? [])),
    columnType: (relationship, column) =>
      rels.get(relationship)?.entity?.columns.find((c) => c.name === column)?.type.toUpperCase() as DataType | undefined,
  };
}

/** Why the graph cannot be shown, for people. */
export function graphErrorMessage(e: Error): string {
  if (e instanceof ApiError && e.status === 403)
    return 'Viewing the data graph needs the Entities Read-only role (or Workspace Owner): linked audiences are built from it.';
  return e.message;
}

export function useGraph() {
  const q = useQuery({ queryKey: ['graph'], queryFn: () => call(api.GET('/api/v1/graph')), staleTime: 300_000 });
  const index = useMemo(() => (q.data ? indexGraph(q.data) : undefined), [q.data]);
  return { ...q, index };
}
