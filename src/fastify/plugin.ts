/**
 * The Fastify plugin (`tessera/fastify`): GraphQL over HTTP (POST with JSON,
 * GET for queries; the CSRF and Origin rules; the gateway's `limits` and one
 * document cache for HTTP and the socket) and the gateway's WebSocket on the
 * same path, on the app's own server. The gateway is `fastify.tessera`, and closes with the
 * app: its sockets get 1001 in `preClose`, before Fastify's server waits for
 * its connections to end (an open socket would hold `close()` until then).
 *
 * The HTTP routes live in an encapsulated child context with their own error
 * handler (GraphQL-shaped errors for a bad body), so the plugin changes nothing
 * else of the app; only the `tessera` decoration and the close hook are
 * app-wide.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { gatewayLimits } from '../gateway/gateway-limits.js';
import { documentCacheFor } from '../gateway/gateway-documents.js';
import { ErrorCode } from '../graphql/errors.js';
import { answerOperation, guardRequest, requestError, wantsGraphQLResponse } from '../graphql/over-http.js';
import { paramsFromBody, paramsFromQueryString, type GraphQLParams } from '../http/graphql-params.js';
import { createGateway, type Gateway, type GatewayOptions } from '../index.js';
import { OriginPolicy } from '../security/origin-policy.js';
import type { GatewaySession } from '../sessions/session-source.js';
import { sendAnswer as send } from './send-answer.js';
import { serveSse } from './serve-sse.js';

export interface TesseraPluginOptions<TContext, TUser> extends GatewayOptions<TContext, TUser> {
  /**
   * The context of a query or mutation over HTTP. Default: the gateway's
   * `context` (or `{ session }`) with the session `sessions.fromCookie` finds in
   * the request's Cookie header, `transport: 'http'`.
   */
  readonly httpContext?: (request: FastifyRequest, reply: FastifyReply) => TContext | Promise<TContext>;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The Tessera gateway the plugin runs: `issueTicket`, `endSessions`, `publish`. */
    tessera: Gateway<unknown>;
  }
}

async function tesseraPlugin<TContext, TUser>(fastify: FastifyInstance, options: TesseraPluginOptions<TContext, TUser>): Promise<void> {
  const { httpContext, ...gatewayOptions } = options;
  const path = options.path ?? '/graphql';
  // One set of limits and one document cache for HTTP and the socket.
  const limits = gatewayLimits(options.limits);
  const origins = new OriginPolicy(options.origins);
  const documents =
    options.documents ??
    documentCacheFor(options.schema, limits);

  const gateway = createGateway<TContext, TUser>({ ...gatewayOptions, path, documents });
  gateway.attach(fastify.server);
  fastify.decorate('tessera', gateway as Gateway<unknown>);
  fastify.addHook('preClose', async () => {
    await gateway.close();
  });

  /** The default HTTP context: the gateway's context function, with the session of the request's cookie. */
  async function defaultContext(request: FastifyRequest): Promise<TContext> {
    const cookie = request.headers.cookie;
    const session: GatewaySession<TUser> | undefined = cookie === undefined ? undefined : await options.sessions.fromCookie(cookie);
    const input = { session, client: { ip: request.ip, userAgent: request.headers['user-agent'] }, transport: 'http' as const };
    return options.context === undefined ? ({ session } as TContext) : options.context(input);
  }

  await fastify.register(async (routes) => {
    routes.setErrorHandler((error: { code?: string; statusCode?: number; message: string }, request, reply) => {
      const graphqlResponse = wantsGraphQLResponse(request.headers.accept);
      if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
        return send(reply, requestError(graphqlResponse, 415, ErrorCode.BAD_REQUEST, "Send the request as 'Content-Type: application/json'."));
      }
      if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) {
        return send(reply, requestError(graphqlResponse, 400, ErrorCode.BAD_REQUEST, 'The request body is not valid JSON.'));
      }
      if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
        return send(reply, requestError(graphqlResponse, error.statusCode, ErrorCode.BAD_REQUEST, error.message));
      }
      request.log.error({ err: error }, 'GraphQL request failed');
      return send(reply, requestError(graphqlResponse, 500, ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error.'));
    });

    // Answers may carry a ticket or account data: no cache may keep one.
    routes.addHook('onSend', async (_request, reply, payload) => {
      reply.header('cache-control', 'no-store');
      return payload;
    });

    // Origin and CSRF on the raw headers, before the body is read.
    const guard = async (request: FastifyRequest, reply: FastifyReply) => {
      const refusal = guardRequest(request.method, request.headers, (origin) => origins.allows(origin));
      return refusal === undefined ? undefined : send(reply, refusal);
    };

    const handle = async (request: FastifyRequest, reply: FastifyReply, params: GraphQLParams) =>
      send(
        reply,
        await answerOperation({
          schema: options.schema,
          documents,
          params,
          method: request.method,
          graphqlResponse: wantsGraphQLResponse(request.headers.accept),
          maxResponseBytes: limits.maxResponseBytes,
          log: request.log,
          socketPath: path,
          context: () => (httpContext === undefined ? defaultContext(request) : httpContext(request, reply)),
        }),
      );

    routes.route({
      method: 'POST',
      url: path,
      onRequest: guard,
      handler: async (request, reply) => {
        if (await serveSse(gateway.sse, request, reply)) return reply;
        const params = paramsFromBody(request.body);
        if (!params.ok) return send(reply, requestError(wantsGraphQLResponse(request.headers.accept), 400, ErrorCode.BAD_REQUEST, params.message));
        return handle(request, reply, params.params);
      },
    });
    routes.route({
      method: 'GET',
      url: path,
      onRequest: guard,
      handler: async (request, reply) => {
        if (await serveSse(gateway.sse, request, reply)) return reply;
        const params = paramsFromQueryString(request.query as Record<string, unknown>);
        if (!params.ok) return send(reply, requestError(wantsGraphQLResponse(request.headers.accept), 400, ErrorCode.BAD_REQUEST, params.message));
        return handle(request, reply, params.params);
      },
    });
    // GraphQL over SSE's single-connection mode (graphql-sse): PUT reserves a stream, DELETE stops an operation.
    // No CSRF guard: neither is sent cross-origin without a CORS preflight; the SSE handler applies the cookie rule.
    for (const method of ['PUT', 'DELETE'] as const) {
      routes.route({
        method,
        url: path,
        handler: async (request, reply) => {
          if (await serveSse(gateway.sse, request, reply)) return reply;
          return send(reply, requestError(wantsGraphQLResponse(request.headers.accept), 405, ErrorCode.BAD_REQUEST, 'Use GET or POST (PUT and DELETE are for GraphQL over SSE).'));
        },
      });
    }
  });
}

/**
 * Registers Tessera on a Fastify app: `await app.register(tessera, { schema, sessions, origins })`.
 * Needs nothing else registered (the default HTTP context reads the raw Cookie header).
 */
export const tessera = fp(tesseraPlugin, { fastify: '5.x', name: 'tessera' }) as <TContext = unknown, TUser = unknown>(
  fastify: FastifyInstance,
  options: TesseraPluginOptions<TContext, TUser>,
) => Promise<void>;
