/**
 * GraphQL over HTTP at /graphql: POST with JSON, GET for queries only. Answers
 * `application/graphql-response+json` (with the spec's status codes) when the
 * client accepts it, `application/json` otherwise.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GraphQLError, GraphQLSchema } from 'graphql';
import type { Sessions, Authenticated } from '../accounts/sessions.js';
import type { GraphQLContext, Services } from '../graphql/context.js';
import { type DocumentCache, selectOperation } from '../graphql/document-cache.js';
import { ErrorCode } from '../graphql/errors.js';
import { formatErrors, isStoreUnavailable } from '../graphql/format-errors.js';
import { responseTooLarge, runOperation } from '../graphql/run-operation.js';
import { csrfRefusal, getCsrfRefusal } from '../security/csrf.js';
import type { OriginPolicy } from '../security/origin-policy.js';
import { paramsFromBody, paramsFromQueryString, type GraphQLParams } from './graphql-params.js';
import { cookieControl, type CookieSettings, readDeviceCookie, readSessionSecret } from './session-cookie.js';

export interface GraphQLRouteOptions {
  readonly schema: GraphQLSchema;
  readonly documents: DocumentCache;
  readonly services: Services;
  readonly sessions: Sessions;
  readonly origins: OriginPolicy;
  readonly cookie: CookieSettings;
  /** MAX_RESPONSE_BYTES: a larger result is refused with RESPONSE_TOO_LARGE before it is serialized. */
  readonly maxResponseBytes: number;
}

const GRAPHQL_RESPONSE = 'application/graphql-response+json';

/** Whether the Accept header lists application/graphql-response+json with a non-zero quality. */
function wantsGraphQLResponse(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  if (typeof accept !== 'string') return false;
  return accept.split(',').some((range) => {
    const [type, ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    if (type !== GRAPHQL_RESPONSE) return false;
    const quality = params.find((param) => param.startsWith('q='));
    return quality === undefined || Number(quality.slice(2)) > 0;
  });
}

/** Sends `{ errors: [...] }` for a request that never reached execution. */
export function sendRequestError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  const media = wantsGraphQLResponse(reply.request) ? GRAPHQL_RESPONSE : 'application/json';
  return reply
    .code(status)
    .type(`${media}; charset=utf-8`)
    .send({ errors: [{ message, extensions: { code } }] });
}

export function registerGraphQLRoute(app: FastifyInstance, options: GraphQLRouteOptions): void {
  const { schema, documents, services, sessions, origins, cookie, maxResponseBytes } = options;

  async function handle(request: FastifyRequest, reply: FastifyReply, params: GraphQLParams): Promise<FastifyReply> {
    const graphqlResponse = wantsGraphQLResponse(request);
    const media = graphqlResponse ? GRAPHQL_RESPONSE : 'application/json';
    const prepared = documents.prepare(params.query);
    if (!prepared.ok) {
      const { errors } = formatErrors(prepared.errors, request.log);
      return reply.code(graphqlResponse ? 400 : 200).type(`${media}; charset=utf-8`).send({ errors });
    }
    const operation = selectOperation(prepared.prepared, params.operationName);
    if (operation === undefined) {
      const message =
        params.operationName === undefined
          ? "The document has several operations: name one in 'operationName'."
          : `The document has no operation named "${params.operationName}".`;
      return sendRequestError(reply, 400, ErrorCode.BAD_REQUEST, message);
    }
    if (operation.operation === 'subscription') {
      return sendRequestError(reply, 400, ErrorCode.BAD_REQUEST, 'Subscriptions run over the WebSocket at /graphql.');
    }
    if (request.method === 'GET' && operation.operation !== 'query') {
      reply.header('allow', 'POST');
      return sendRequestError(reply, 405, ErrorCode.BAD_REQUEST, 'Mutations must be sent with POST.');
    }

    let auth: Authenticated | undefined;
    try {
      auth = await sessions.authenticate(readSessionSecret(request, cookie.secure));
    } catch (error) {
      if (!isStoreUnavailable(error)) throw error;
      request.log.error({ err: error }, 'database unavailable');
      return sendRequestError(reply, 503, ErrorCode.SERVICE_UNAVAILABLE, 'The service is temporarily unavailable; try again shortly.');
    }
    const context: GraphQLContext = {
      transport: 'http',
      auth,
      client: { ip: request.ip, userAgent: request.headers['user-agent'], deviceCookie: readDeviceCookie(request, cookie.secure) },
      cookies: cookieControl(reply, cookie),
      services,
    };
    const result = await runOperation({
      schema,
      documents,
      prepared: prepared.prepared,
      operation,
      operationName: params.operationName,
      variables: params.variables,
      contextValue: context,
    });
    const body: Record<string, unknown> = {};
    let status = 200;
    if (result.errors !== undefined) {
      const { errors, unavailable } = formatErrors(result.errors as GraphQLError[], request.log);
      body['errors'] = errors;
      if (unavailable) status = 503;
      else if (result.data === undefined && graphqlResponse) status = 400; // variables failed to coerce: no execution
      const limited = errors.find((error) => error.extensions?.['code'] === ErrorCode.RATE_LIMITED);
      if (limited !== undefined) reply.header('retry-after', String(limited.extensions?.['retryAfterSeconds'] ?? 60));
    }
    if (result.data !== undefined) body['data'] = result.data;
    const tooLarge = responseTooLarge(body, maxResponseBytes);
    if (tooLarge !== undefined) {
      // No data: 400 under graphql-response+json (GraphQL over HTTP), 200 under application/json.
      // A mutation's effects have happened all the same: only its answer is refused.
      return reply.code(graphqlResponse ? 400 : 200).type(`${media}; charset=utf-8`).send({ errors: [tooLarge] });
    }
    return reply.code(status).type(`${media}; charset=utf-8`).send(body);
  }

  // CSRF and Origin are checked on the raw headers, before the body is read.
  async function guard(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const origin = request.headers.origin;
    if (origin !== undefined && !origins.allows(origin) && request.headers.cookie !== undefined) {
      return sendRequestError(reply, 403, ErrorCode.ORIGIN_FORBIDDEN, `Origin ${origin.slice(0, 200)} is not allowed.`);
    }
    const refusal =
      request.method === 'GET' || request.method === 'HEAD'
        ? getCsrfRefusal(request.headers, (candidate) => origins.allows(candidate))
        : csrfRefusal(request.headers);
    if (refusal !== undefined) return sendRequestError(reply, 400, ErrorCode.CSRF_REJECTED, refusal);
    return undefined;
  }

  app.route({
    method: 'POST',
    url: '/graphql',
    onRequest: guard,
    handler: async (request, reply) => {
      const params = paramsFromBody(request.body);
      if (!params.ok) return sendRequestError(reply, 400, ErrorCode.BAD_REQUEST, params.message);
      return handle(request, reply, params.params);
    },
  });

  app.route({
    method: 'GET',
    url: '/graphql',
    onRequest: guard,
    handler: async (request, reply) => {
      const params = paramsFromQueryString(request.query as Record<string, unknown>);
      if (!params.ok) return sendRequestError(reply, 400, ErrorCode.BAD_REQUEST, params.message);
      return handle(request, reply, params.params);
    },
  });
}
