// Trait, event and event property names the workspace's audiences already use: the builder offers them while the API
// has no catalog of traits and events (API_NEEDS.md, 1). Free entry stays possible.
import { useQueries } from '@tanstack/react-query';
import { useMemo } from 'react';
import { api, call } from '../api/client';
import type { Definition } from './model';
import { namesOf, type KnownNames } from './names';

export function useKnownNames(keys: string[], current: Definition): KnownNames {
  const results = useQueries({
    // The first 100 audiences are enough to learn the names in use; more would cost a request each.
    queries: keys.slice(0, 100).map((key) => ({
      queryKey: ['audience', key],
      queryFn: () => call(api.GET('/api/v1/audiences/{key}', { params: { path: { key } } })),
      staleTime: 300_000,
    })),
  });
  const defs = results.map((r) => r.data?.definition as Definition | undefined).filter((d): d is Definition => !!d);
  const stamp = results.map((r) => r.dataUpdatedAt).join(',');
  const currentText = JSON.stringify(current);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  return useMemo(() => namesOf([...defs, current]), [stamp, currentText]);
}
