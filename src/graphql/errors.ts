/**
 * Every error code a client can see in a GraphQL error's `extensions.code`, in
 * one registry. The README lists them; a test checks the two agree.
 */
import { GraphQLError } from 'graphql';

export const ErrorCode = {
  /** No valid session (HTTP) or no authenticated socket (subscriptions). */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** The signed-in user may not do this (for example `systemAnnounce` by a non-admin). */
  FORBIDDEN: 'FORBIDDEN',
  /** An argument is invalid; `extensions.field` names it. */
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  /** `accountsRegister` with an email that already has an account (any letter case). */
  EMAIL_TAKEN: 'EMAIL_TAKEN',
  /** Wrong email or password; the same answer for both, so accounts cannot be enumerated. */
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  /** Too many sign-in attempts (per address, device, email and address, or email); `extensions.retryAfterSeconds` says when to try again. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** The request is not a well-formed GraphQL request (JSON, parameters, method). */
  BAD_REQUEST: 'BAD_REQUEST',
  /** The document does not parse. */
  GRAPHQL_PARSE_FAILED: 'GRAPHQL_PARSE_FAILED',
  /** The document does not validate against the schema, passes a size, depth or cost limit (the message names it), or signs in or registers more than once. */
  GRAPHQL_VALIDATION_FAILED: 'GRAPHQL_VALIDATION_FAILED',
  /** The result's JSON would pass MAX_RESPONSE_BYTES; refused before it is serialized. */
  RESPONSE_TOO_LARGE: 'RESPONSE_TOO_LARGE',
  /** The documents live subscriptions hold fill DOCUMENT_CACHE_BYTES: a subscription with a new document is refused. */
  DOCUMENT_CACHE_FULL: 'DOCUMENT_CACHE_FULL',
  /** A browser could have sent this request cross-site without a preflight; see the README on CSRF. */
  CSRF_REJECTED: 'CSRF_REJECTED',
  /** The request's Origin is not in ALLOWED_ORIGINS. */
  ORIGIN_FORBIDDEN: 'ORIGIN_FORBIDDEN',
  /** A socket reached its subscription limit (WS_MAX_SUBSCRIPTIONS_PER_CONNECTION). */
  SUBSCRIPTION_LIMIT: 'SUBSCRIPTION_LIMIT',
  /** An SSE stream resumed with Last-Event-ID missed events the resumption log no longer keeps: refetch the current state. */
  EVENTS_MISSED: 'EVENTS_MISSED',
  /** The database (or Redis, for sign-in limits and publishing) cannot be reached; retry later (HTTP 503). */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  /** Anything unexpected. Details go to the server log only, never to the client. */
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An error meant for the client: its message and extensions are shown as they are. */
export class ClientError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extensions } });
    this.name = 'ClientError';
  }
}

export const unauthenticated = () => new ClientError(ErrorCode.UNAUTHENTICATED, 'You must be signed in.');
export const forbidden = (why = 'You are not allowed to do this.') => new ClientError(ErrorCode.FORBIDDEN, why);
export const badInput = (field: string, message: string) =>
  new ClientError(ErrorCode.BAD_USER_INPUT, message, { field });

/** Raised by the store adapters when the database cannot be reached. */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super('database unavailable', { cause });
    this.name = 'StoreUnavailableError';
  }
}
