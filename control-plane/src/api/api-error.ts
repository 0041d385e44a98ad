// Errors that cross the REST API: an HTTP status, a stable `code` for programs, a message for
// people, and details (field paths, line numbers) when there are any. Body:
// {"error": {"code": "...", "message": "...", "details": ...}}.

export type ApiErrorCode =
  | 'UNAUTHENTICATED' // no token or a wrong one
  | 'FORBIDDEN' // a token that may not do this
  | 'NOT_FOUND' // no such endpoint or resource
  | 'METHOD_NOT_ALLOWED'
  | 'BAD_REQUEST' // a query parameter or body field is wrong (details name it)
  | 'BODY_TOO_LARGE'
  | 'BATCH_MALFORMED' // POST /v1/events: not a batch
  | 'POLICY_INVALID' // a policy does not validate (details: file, line, field, rule)
  | 'CONFLICT' // the state does not allow it (protect without a clean dry-run)
  | 'UNAVAILABLE' // try again later (queue full, shutting down); Retry-After says when
  | 'NOT_CONFIGURED' // the feature needs an option the server was not started with
  | 'NO_AGENT' // no host agent for the workload's nodes is connected
  | 'NOT_READY' // the resource exists but is not finished (a capture still running)
  | 'INTERNAL';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): { error: { code: ApiErrorCode; message: string; details?: unknown } } {
    return { error: { code: this.code, message: this.message, ...(this.details !== undefined ? { details: this.details } : {}) } };
  }
}

export const badRequest = (message: string, details?: unknown) => new ApiError(400, 'BAD_REQUEST', message, details);
export const notFound = (what: string) => new ApiError(404, 'NOT_FOUND', `${what} not found`);
