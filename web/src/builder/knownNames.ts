// Trait, event and event property names the builder offers: those the workspace's audiences already use, and the
// warehouse's traits and event tables (GET /api/v1/catalog, for users who may view profiles). Free entry stays possible.
import { useQueries, useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { api, call } from '../api/client';
import { useCan } from '../auth';
import type { Definition } from './model';
import { namesOf, withCatalog, type KnownNames, type ProfileCatalog } from './names';

export function useKnownNames(keys: string[], current: Definition): KnownNames {
  const results = useQueries({
    // The first 100 audiences are enough to learn the names in use; more would cost a request each.
    queries: keys.slice(0, 100).map((key) => ({
      queryKey: ['audience', key],
      queryFn: () => call(api.GET('/api/v1/audiences/{key}', { params: { path: { key } } })),
      staleTime: 300_000,
    })),
  });
  const canProfiles = useCan('view_profiles');
  const catalog = useQuery({
    queryKey: ['catalog'],
    queryFn: () => call(api.GET('/api/v1/catalog')) as Promise<ProfileCatalog>,
    enabled: canProfiles,
    staleTime: 300_000,
  });
  const defs = results.map((r) => r.data?.definition as Definition | undefined).filter((d): d is Definition => !!d);
  const stamp = results.map((r) => r.dataUpdatedAt).join(',');
  const currentText = JSON.stringify(current);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  return useMemo(() => withCatalog(namesOf([...defs, current]), catalog.data), [stamp, currentText, catalog.data]);
}
