// The typed API client: openapi-fetch over the types generated from src/api/openapi.json
// (`npm run gen`, run by every build, so the client never drifts from the server).
// The session cookie is HttpOnly; every change sends the session's CSRF token.
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];
export type AudienceDefinition = Schemas['AudienceDefinition'];
export type Audience = Schemas['Audience'];
export type AudienceListItem = Schemas['AudienceListItem'];
export type GraphView = Schemas['GraphView'];
export type GraphRelationship = Schemas['GraphRelationship'];
export type GraphEntity = Schemas['GraphEntity'];
export type Activation = Schemas['Activation'];
export type ApiErrorBody = Schemas['Error'];

let csrfToken: string | null = null;
export function setCsrfToken(token: string | null) {
  csrfToken = token;
}

const csrf: Middleware = {
  onRequest({ request }) {
    if (csrfToken && !['GET', 'HEAD', 'OPTIONS'].includes(request.method)) {
      request.headers.set('X-CSRF-Token', csrfToken);
    }
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: window.location.origin, credentials: 'same-origin' });
api.use(csrf);

/** An answer of the API that is not 2xx, with the API's one error shape. */
export class ApiError extends Error {
  constructor(
    public status: number,
    public body: ApiErrorBody | undefined,
  ) {
    super(body?.message ?? `HTTP ${status}`);
  }
}

/** Unwraps an openapi-fetch result: the data, or throws ApiError. */
export async function call<T>(p: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const r = await p;
  if (!r.response.ok) throw new ApiError(r.response.status, r.error as ApiErrorBody | undefined);
  return r.data as T;
}
