/**
 * GraphQL over HTTP, the part every HTTP route of Tessera shares (the demo's
 * /graphql and the `tessera/fastify` plugin): the media type negotiation, the
 * Origin and CSRF guard, and the answer to one request's parameters, with the
 * spec's status codes under `application/graphql-response+json`. Framework
 * free: each route sends the {@link HttpAnswer} with its own reply.
 */
import type { GraphQLError, GraphQLSchema } from 'graphql';
import type { GraphQLParams } from '../http/graphql-params.js';
import { csrfRefusal, getCsrfRefusal, type RequestHeaders } from '../security/csrf.js';
import { type DocumentCache, selectOperation } from './document-cache.js';
import { ErrorCode } from './errors.js';
import { type ErrorLog, formatErrors, isStoreUnavailable } from './format-errors.js';
import { responseTooLarge, runOperation } from './run-operation.js';

export const GRAPHQL_RESPONSE = 'application/graphql-response+json';

/** What to send: a status, the media type (charset utf-8), extra headers, and the JSON body. */
export interface HttpAnswer {
  readonly status: number;
  readonly media: typeof GRAPHQL_RESPONSE | 'application/json';
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Record<string, unknown>;
}

/** Whether the Accept header lists application/graphql-response+json with a non-zero quality. */
export function wantsGraphQLResponse(accept: string | string[] | undefined): boolean {
  if (typeof accept !== 'string') return false;
  return accept.split(',').some((range) => {
    const [type, ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    if (type !== GRAPHQL_RESPONSE) return false;
    const quality = params.find((param) => param.startsWith('q='));
    return quality === undefined || Number(quality.slice(2)) > 0;
  });
}

const mediaFor = (graphqlResponse: boolean) => (graphqlResponse ? GRAPHQL_RESPONSE : 'application/json');

/** `{ errors: [...] }` for a request that never reached execution. */
export function requestError(
  graphqlResponse: boolean,
  status: number,
  code: string,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): HttpAnswer {
  return { status, media: mediaFor(graphqlResponse), headers, body: { errors: [{ message, extensions: { code } }] } };
}

/**
 * The Origin and CSRF rules (security/csrf.ts), on the raw headers before the
 * body is read: a foreign Origin with a cookie is refused (403), as is what a
 * browser could send cross-site without a preflight (400). Undefined: go on.
 */
export function guardRequest(
  method: string,
  headers: RequestHeaders,
  allowsOrigin: (origin: string) => boolean,
): HttpAnswer | undefined {
  const graphqlResponse = wantsGraphQLResponse(headers['accept']);
  const origin = headers['origin'];
  if (typeof origin === 'string' && !allowsOrigin(origin) && headers['cookie'] !== undefined) {
    return requestError(graphqlResponse, 403, ErrorCode.ORIGIN_FORBIDDEN, `Origin ${origin.slice(0, 200)} is not allowed.`);
  }
  const refusal = method === 'GET' || method === 'HEAD' ? getCsrfRefusal(headers, allowsOrigin) : csrfRefusal(headers);
  if (refusal !== undefined) return requestError(graphqlResponse, 400, ErrorCode.CSRF_REJECTED, refusal);
  return undefined;
}

export interface HttpOperation<TContext> {
  readonly schema: GraphQLSchema;
  readonly documents: DocumentCache;
  readonly params: GraphQLParams;
  /** 'GET' runs queries only (405 for a mutation). */
  readonly method: string;
  /** From {@link wantsGraphQLResponse} of the request's Accept header. */
  readonly graphqlResponse: boolean;
  /** A result whose JSON would pass this is refused (RESPONSE_TOO_LARGE) before it is serialized. */
  readonly maxResponseBytes: number;
  /** Where resolver failures are logged in full (the client sees a code only). */
  readonly log: ErrorLog;
  /** The path the socket is on, for the error a subscription over HTTP gets. */
  readonly socketPath: string;
  /** Builds the context, once the operation is known to run; a store that cannot be reached answers 503. */
  readonly context: () => TContext | Promise<TContext>;
}

/** Prepares (document cache: size, depth, cost limits), selects, authenticates and runs one query or mutation. */
export async function answerOperation<TContext>(request: HttpOperation<TContext>): Promise<HttpAnswer> {
  const { documents, params, graphqlResponse, log } = request;
  const media = mediaFor(graphqlResponse);
  const prepared = documents.prepare(params.query);
  if (!prepared.ok) {
    const { errors } = formatErrors(prepared.errors, log);
    return { status: graphqlResponse ? 400 : 200, media, headers: {}, body: { errors } };
  }
  const operation = selectOperation(prepared.prepared, params.operationName);
  if (operation === undefined) {
    const message =
      params.operationName === undefined
        ? "The document has several operations: name one in 'operationName'."
        : `The document has no operation named "${params.operationName}".`;
    return requestError(graphqlResponse, 400, ErrorCode.BAD_REQUEST, message);
  }
  if (operation.operation === 'subscription') {
    return requestError(graphqlResponse, 400, ErrorCode.BAD_REQUEST, `Subscriptions run over the WebSocket at ${request.socketPath}.`);
  }
  if (request.method === 'GET' && operation.operation !== 'query') {
    return requestError(graphqlResponse, 405, ErrorCode.BAD_REQUEST, 'Mutations must be sent with POST.', { allow: 'POST' });
  }

  let contextValue: TContext;
  try {
    contextValue = await request.context();
  } catch (error) {
    if (!isStoreUnavailable(error)) throw error;
    log.error({ err: error }, 'session store unavailable');
    return requestError(graphqlResponse, 503, ErrorCode.SERVICE_UNAVAILABLE, 'The service is temporarily unavailable; try again shortly.');
  }
  const result = await runOperation({
    schema: request.schema,
    documents,
    prepared: prepared.prepared,
    operation,
    operationName: params.operationName,
    variables: params.variables,
    contextValue,
  });
  const body: Record<string, unknown> = {};
  const headers: Record<string, string> = {};
  let status = 200;
  if (result.errors !== undefined) {
    const { errors, unavailable } = formatErrors(result.errors as GraphQLError[], log);
    body['errors'] = errors;
    if (unavailable) status = 503;
    else if (result.data === undefined && graphqlResponse) status = 400; // variables failed to coerce: no execution
    const limited = errors.find((error) => error.extensions?.['code'] === ErrorCode.RATE_LIMITED);
    if (limited !== undefined) headers['retry-after'] = String(limited.extensions?.['retryAfterSeconds'] ?? 60);
  }
  if (result.data !== undefined) body['data'] = result.data;
  const tooLarge = responseTooLarge(body, request.maxResponseBytes);
  if (tooLarge !== undefined) {
    // No data: 400 under graphql-response+json (GraphQL over HTTP), 200 under application/json.
    // A mutation's effects have happened all the same: only its answer is refused.
    return { status: graphqlResponse ? 400 : 200, media, headers: {}, body: { errors: [tooLarge] } };
  }
  return { status, media, headers, body };
}
