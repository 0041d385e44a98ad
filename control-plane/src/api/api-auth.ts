// The API token: `--api-token` or MESHWARD_API_TOKEN. Without one the API is open (a local
// demo; logged at start). Ingest routes authenticate per workload themselves (ingest-auth.ts).
import type http from 'node:http';
import { bearer, same } from '../events/ingest-auth.js';
import { ApiError } from './api-error.js';
import type { Auth } from './router.js';

export function apiAuthorizer(apiToken: string | undefined): (req: http.IncomingMessage, auth: Auth) => void {
  return (req, auth) => {
    if (auth !== 'api' || apiToken === undefined) return;
    const token = bearer(req.headers.authorization);
    if (token === undefined) throw new ApiError(401, 'UNAUTHENTICATED', 'this endpoint needs the API token: authorization: Bearer <token> (MESHWARD_API_TOKEN)', undefined, { 'www-authenticate': 'Bearer' });
    if (!same(token, apiToken)) throw new ApiError(401, 'UNAUTHENTICATED', 'the API token is not valid', undefined, { 'www-authenticate': 'Bearer' });
  };
}
