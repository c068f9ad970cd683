// Who is signed in: GET /api/v1/me (401: nobody). The CSRF token it returns goes with every change.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useContext } from 'react';
import { api, ApiError, call, setCsrfToken, type Schemas } from './api/client';

export type Me = Schemas['Me'];
export type Permission = Schemas['PermissionName'];

export function useMeQuery() {
  return useQuery({
    queryKey: ['me'],
    queryFn: async () => {
      try {
        const me = await call(api.GET('/api/v1/me'));
        setCsrfToken(me.csrf_token ?? null);
        return me;
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) return null;
        throw e;
      }
    },
    staleTime: 60_000,
  });
}

export const MeContext = createContext<Me | null>(null);

export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error('useMe outside a signed-in page');
  return me;
}

/** Whether the signed-in user's roles grant the permission. */
export function useCan(p: Permission): boolean {
  const me = useContext(MeContext);
  return !!me && me.permissions.includes(p);
}

export function useLogout() {
  const qc = useQueryClient();
  return async () => {
    await api.POST('/api/v1/auth/logout');
    setCsrfToken(null);
    qc.clear();
    qc.setQueryData(['me'], null);
  };
}
