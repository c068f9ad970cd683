// The queries several screens share, one cache key each.
import { useQuery } from '@tanstack/react-query';
import { api, call } from './api/client';

/** One audience, polled faster while it runs. */
export function useAudience(key: string) {
  return useQuery({
    queryKey: ['audience', key],
    queryFn: () => call(api.GET('/api/v1/audiences/{key}', { params: { path: { key } } })),
    refetchInterval: (q) => (q.state.data?.state === 'running' || q.state.data?.state === 'queued' ? 2000 : 15_000),
  });
}

/** Every audience of the workspace (key, name, folder...), without definitions. */
export function useAudienceNames() {
  const q = useQuery({ queryKey: ['audiences', 'all'], queryFn: () => call(api.GET('/api/v1/audiences', { params: { query: { limit: 1000 } } })) });
  return q.data?.items ?? [];
}

/** The destination types with their settings and actions. */
export function useDestinationTypes() {
  return useQuery({ queryKey: ['destinations'], queryFn: () => call(api.GET('/api/v1/destinations')), staleTime: Infinity });
}
