/**
 * Turns execution errors into what the client may see: client errors as they
 * are; anything unexpected as INTERNAL_SERVER_ERROR (or SERVICE_UNAVAILABLE
 * when the database is down) with no stack or SQL text, logged in full here.
 */
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ClientError, ErrorCode, StoreUnavailableError } from './errors.js';

export interface ErrorLog {
  error(object: object, message: string): void;
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000',
  '08001',
  '08003',
  '08006',
  'SQLITE_BUSY',
]);

/** Whether an error means "the database cannot be reached", as opposed to a bug. */
export function isStoreUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof StoreUnavailableError) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    if (/timeout exceeded when trying to connect|Connection terminated/i.test(e.message)) return true;
    // ioredis, while Redis is unreachable (the offline queue is off: see redis-connection.ts).
    if (/Stream isn't writeable|Connection is closed|max retries per request/i.test(e.message)) return true;
    if (e instanceof AggregateError && e.errors.some(isStoreUnavailable)) return true;
  }
  return false;
}

export interface FormattedErrors {
  readonly errors: GraphQLFormattedError[];
  /** True when some error was the database being unreachable: HTTP answers 503. */
  readonly unavailable: boolean;
}

export function formatErrors(errors: readonly GraphQLError[], log: ErrorLog): FormattedErrors {
  let unavailable = false;
  const formatted = errors.map((error): GraphQLFormattedError => {
    const original = error.originalError;
    if ((original === undefined || original === null) && error.path !== undefined) {
      // graphql-js found a broken result during execution (e.g. null for a non-null field): a bug of ours.
      log.error({ err: error, path: error.path }, 'invalid result');
      return { message: 'Internal server error.', path: error.path, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
    }
    if (original === undefined || original === null) {
      // graphql-js's own errors: parse, validation, variable coercion.
      const code = error.extensions['code'] ?? ErrorCode.BAD_USER_INPUT;
      return { ...error.toJSON(), extensions: { ...error.extensions, code } };
    }
    if (original instanceof ClientError) {
      return { message: original.message, ...(error.locations ? { locations: error.locations } : {}), ...(error.path ? { path: error.path } : {}), extensions: { ...original.extensions } };
    }
    if (original instanceof GraphQLError && !(original.originalError instanceof Error)) {
      return { ...error.toJSON(), extensions: { ...error.extensions, code: error.extensions['code'] ?? ErrorCode.BAD_USER_INPUT } };
    }
    const isDown = isStoreUnavailable(original);
    unavailable ||= isDown;
    log.error({ err: original, path: error.path }, isDown ? 'database unavailable' : 'resolver failed');
    return {
      message: isDown ? 'The service is temporarily unavailable; try again shortly.' : 'Internal server error.',
      ...(error.path ? { path: error.path } : {}),
      extensions: { code: isDown ? ErrorCode.SERVICE_UNAVAILABLE : ErrorCode.INTERNAL_SERVER_ERROR },
    };
  });
  return { errors: formatted, unavailable };
}
