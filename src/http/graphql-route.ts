/**
 * GraphQL over HTTP at /graphql: POST with JSON, GET for queries only. Answers
 * `application/graphql-response+json` (with the spec's status codes) when the
 * client accepts it, `application/json` otherwise.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import type { Sessions } from '../accounts/index.js';
import type { GraphQLContext, Services } from '../graphql/context.js';
import { ErrorCode, type DocumentCache, type OriginPolicy, type SseHandler } from '../index.js';
import {
  answerOperation,
  guardRequest,
  paramsFromBody,
  paramsFromQueryString,
  requestError,
  sendAnswer,
  serveSse,
  wantsGraphQLResponse,
  type GraphQLParams,
} from '../fastify/index.js';
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
  /** GraphQL over SSE on /graphql (the gateway's handler, set once the gateway exists); none: HTTP only. */
  readonly sse?: { readonly current: SseHandler | undefined };
}

/** Sends `{ errors: [...] }` for a request that never reached execution. */
export function sendRequestError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return sendAnswer(reply, requestError(wantsGraphQLResponse(reply.request.headers.accept), status, code, message));
}

export function registerGraphQLRoute(app: FastifyInstance, options: GraphQLRouteOptions): void {
  const { schema, documents, services, sessions, origins, cookie, maxResponseBytes } = options;
  const sse = () => options.sse?.current;

  async function handle(request: FastifyRequest, reply: FastifyReply, params: GraphQLParams): Promise<FastifyReply> {
    const answer = await answerOperation({
      schema,
      documents,
      params,
      method: request.method,
      graphqlResponse: wantsGraphQLResponse(request.headers.accept),
      maxResponseBytes,
      log: request.log,
      socketPath: '/graphql',
      context: async (): Promise<GraphQLContext> => ({
        transport: 'http',
        auth: await sessions.authenticate(readSessionSecret(request, cookie.secure)),
        client: { ip: request.ip, userAgent: request.headers['user-agent'], deviceCookie: readDeviceCookie(request, cookie.secure) },
        cookies: cookieControl(reply, cookie),
        services,
      }),
    });
    return sendAnswer(reply, answer);
  }

  // CSRF and Origin are checked on the raw headers, before the body is read.
  async function guard(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const refusal = guardRequest(request.method, request.headers, (candidate) => origins.allows(candidate));
    return refusal === undefined ? undefined : sendAnswer(reply, refusal);
  }

  app.route({
    method: 'POST',
    url: '/graphql',
    onRequest: guard,
    handler: async (request, reply) => {
      if (await serveSse(sse(), request, reply)) return reply;
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
      if (await serveSse(sse(), request, reply)) return reply;
      const params = paramsFromQueryString(request.query as Record<string, unknown>);
      if (!params.ok) return sendRequestError(reply, 400, ErrorCode.BAD_REQUEST, params.message);
      return handle(request, reply, params.params);
    },
  });

  // graphql-sse's single-connection mode: PUT reserves a stream, DELETE stops an operation.
  // No CSRF guard: neither method is sent cross-origin without a CORS preflight (the SSE handler applies the cookie rule).
  for (const method of ['PUT', 'DELETE'] as const) {
    app.route({
      method,
      url: '/graphql',
      handler: async (request, reply) => {
        if (await serveSse(sse(), request, reply)) return reply;
        return sendRequestError(reply, 405, ErrorCode.BAD_REQUEST, 'Use GET or POST (PUT and DELETE are for GraphQL over SSE).');
      },
    });
  }
}
