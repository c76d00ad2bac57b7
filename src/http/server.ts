/** The Fastify instance: plugins, error shapes, and the routes. */
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyError } from 'fastify';
import type { Logger } from 'pino';
import { ErrorCode, isStoreUnavailable, PREFLIGHT_HEADERS, type OriginPolicy } from '../index.js';
import { type TrustProxy, trustFunction } from '../security/client-address.js';
import { registerGraphQLRoute, sendRequestError, type GraphQLRouteOptions } from './graphql-route.js';
import { registerWeb } from '../web/register-web.js';
import { capConnectionsPerAddress } from './connection-cap.js';

export interface HttpServerOptions extends GraphQLRouteOptions {
  readonly logger: Logger;
  readonly bodyLimitBytes: number;
  readonly origins: OriginPolicy;
  readonly trustProxy: TrustProxy;
  /** Resolves when the process can serve (store reachable); rejects otherwise. For /readyz. */
  readonly ready: () => Promise<void>;
  readonly requestTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly maxConnectionsPerAddress: number;
}

/** `/graphql`, with or without a query string or trailing slash. */
function isGraphQLPath(url: string): boolean {
  const path = url.split('?', 1)[0] ?? '';
  return path === '/graphql' || path === '/graphql/';
}

export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimitBytes,
    // One line per request, written by the onResponse hook below.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: trustFunction(options.trustProxy),
    // Keep-alive connections must not hold shutdown hostage.
    forceCloseConnections: 'idle',
    // A client has this long for its whole request, body included, and less for its headers
    // (slowloris): then 408 and the connection is closed. Fastify's default is no limit.
    requestTimeout: options.requestTimeoutMs,
    keepAliveTimeout: options.keepAliveTimeoutMs,
    http: {
      requestTimeout: options.requestTimeoutMs,
      headersTimeout: options.headersTimeoutMs,
      // Node checks those timeouts on this interval (30 s by default, which would let a slow
      // request live up to 30 s past its limit).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(options.headersTimeoutMs / 2))),
    },
  });
  const trusts = trustFunction(options.trustProxy);
  capConnectionsPerAddress(app.server, {
    maxPerAddress: options.maxConnectionsPerAddress,
    exempt: trusts === false ? () => false : (address) => trusts(address, 0),
    onRefused: (address, refused) =>
      options.logger.warn({ ip: address, refused, max: options.maxConnectionsPerAddress }, 'HTTP connections refused: too many from this address'),
  });

  // GraphQL answers may carry a socket ticket or account data: no cache (browser, proxy, CDN) may keep one.
  // A hook, so that every answer on /graphql has it, errors from Fastify itself (413, 415, 404 for a method) included.
  app.addHook('onSend', async (request, reply, payload) => {
    if (isGraphQLPath(request.url)) reply.header('cache-control', 'no-store');
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    request.log.info({ req: request, res: reply, responseTime: Math.round(reply.elapsedTime) }, 'request completed');
  });

  await app.register(cookie);
  await app.register(cors, {
    origin: (origin, callback) => callback(null, origin !== undefined && options.origins.allows(origin)),
    credentials: true,
    // PUT and DELETE, the token, the ticket and Last-Event-ID: GraphQL over SSE from an allowed origin.
    methods: ['GET', 'POST', 'PUT', 'DELETE'],
    allowedHeaders: ['content-type', 'accept', ...PREFLIGHT_HEADERS, 'x-graphql-event-stream-token', 'authorization', 'last-event-id'],
    maxAge: 600,
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendRequestError(reply, 413, ErrorCode.BAD_REQUEST, `The request body is larger than ${options.bodyLimitBytes} bytes.`);
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return sendRequestError(reply, 415, ErrorCode.BAD_REQUEST, "Send the request as 'Content-Type: application/json'.");
    }
    if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) {
      return sendRequestError(reply, 400, ErrorCode.BAD_REQUEST, 'The request body is not valid JSON.');
    }
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      return sendRequestError(reply, error.statusCode, ErrorCode.BAD_REQUEST, error.message);
    }
    if (isStoreUnavailable(error)) {
      request.log.error({ err: error }, 'database unavailable');
      return sendRequestError(reply, 503, ErrorCode.SERVICE_UNAVAILABLE, 'The service is temporarily unavailable; try again shortly.');
    }
    request.log.error({ err: error }, 'request failed');
    return sendRequestError(reply, 500, ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error.');
  });

  app.setNotFoundHandler((request, reply) =>
    sendRequestError(reply, 404, ErrorCode.BAD_REQUEST, `No route ${request.method} ${request.url.split('?')[0]}.`),
  );

  // Liveness: the process answers. Readiness: it can also reach its store (and Redis),
  // so a load balancer can route around a node that cannot serve.
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (request, reply) => {
    try {
      await options.ready();
      return { ok: true };
    } catch (error) {
      request.log.warn({ err: error }, 'not ready');
      return reply.code(503).send({ ok: false });
    }
  });
  await registerWeb(app, { origins: options.origins });
  registerGraphQLRoute(app, options);
  return app;
}
