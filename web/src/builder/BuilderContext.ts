import { createContext, useContext } from 'react';
import type { GraphIndex } from '../graph';
import type { KnownNames } from './names';
import type { State } from './state';

export interface BuilderCtx {
  state: State;
  update: (fn: (s: State) => State) => void;
  errors: { pointer: string; message: string }[];
  graph: GraphIndex;
  audiences: { key: string; name: string }[];
  selfKey?: string;
  readOnly: boolean;
  names: KnownNames;
}

export const BuilderContext = createContext<BuilderCtx | null>(null);

export function useBuilder(): BuilderCtx {
  const c = useContext(BuilderContext);
  if (!c) throw new Error('useBuilder outside the builder');
  return c;
}
