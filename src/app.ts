/**
 * The composition root: builds the store, bus, services, HTTP server and
 * socket gateway from a {@link Config}, and tears them down in order.
 */
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import {
  Accounts,
  DeviceCookies,
  Sessions,
  SessionsRepo,
  UsersRepo,
  migrateToLatest,
  tesseraSessions,
  type Authenticated,
  type RateLimiter,
} from './accounts/index.js';
import type { Config } from './config/config.js';
import type { GraphQLContext, Services } from './graphql/context.js';
import { createSchema } from './graphql/schema.js';
import { oneSignInPerOperation } from './graphql/one-sign-in-rule.js';
import { createHttpServer } from './http/server.js';
import { sessionCookieName } from './http/session-cookie.js';
import {
  createGateway,
  DocumentCache,
  NO_METRICS,
  OriginPolicy,
  Publisher,
  StartupError,
  TicketIssuer,
  type Bus,
  type Gateway,
  type Metrics,
  type SseHandler,
} from './index.js';
import type { Presence } from './redis.js';
import { UserCountWorker } from './workers/user-count-worker.js';
import { USER_COUNT_TICKS, UserCountDelivery } from './workers/user-count-delivery.js';
import { createInfrastructure } from './cluster/infrastructure.js';
import { newNodeId } from './cluster/node-id.js';
import { clientAddressResolver } from './security/client-address.js';
import { openStore, type Store } from './store/database.js';
import { countRefusals } from './metrics/count-rate-limits.js';
import { PrometheusMetrics } from './metrics/prometheus.js';
import { databaseProblem } from './startup-problems.js';
import { type MetricsServer, registerMetricsRoute, startMetricsServer } from './metrics/serve.js';
import { loadTicketSecrets } from './tickets/ticket-secrets.js';

export interface Tessera {
  readonly config: Config;
  readonly http: FastifyInstance;
  readonly store: Store;
  readonly bus: Bus;
  readonly services: Services;
  /** The sign-in attempt counters (memory or Redis). */
  readonly rateLimiter: RateLimiter;
  /** The socket gateway (built with the library's createGateway). */
  readonly gateway: Gateway<Authenticated>;
  /** The gateway's protocol engine (`gateway.engine`). */
  readonly engine: Gateway<Authenticated>['engine'];
  readonly worker: UserCountWorker;
  readonly nodeId: string;
  /** The metrics (the no-op when METRICS=off). */
  readonly metrics: Metrics;
  /** The port of the metrics listener when METRICS=<port>, else undefined. */
  readonly metricsPort: number | undefined;
  /** The address it listens on, e.g. `http://127.0.0.1:4000`. */
  readonly url: string;
  close(): Promise<void>;
}

/** The configured store, opened and migrated; a StartupError saying what to fix when it cannot be. */
async function openMigratedStore(config: Config): Promise<{ store: Store; applied: string[] }> {
  const databaseFailed = (error: unknown) => new StartupError(databaseProblem(error, config.databaseUrl, config.dataDir), { cause: error });
  let store: Store;
  try {
    store = openStore(config.databaseUrl, config.dataDir);
  } catch (error) {
    throw databaseFailed(error);
  }
  const applied = await migrateToLatest(store.db).catch((error: unknown) => {
    void store.close().catch(() => {});
    throw databaseFailed(error);
  });
  return { store, applied };
}

/** Brings the configured store's schema up to date and closes it: what the primary of `WORKERS=N` does before forking. */
export async function migrateStore(config: Config): Promise<string[]> {
  const { store, applied } = await openMigratedStore(config);
  await store.close();
  return applied;
}

export async function startTessera(config: Config, logger: Logger): Promise<Tessera> {
  const prometheus = config.metrics === 'off' ? undefined : new PrometheusMetrics();
  const metrics: Metrics = prometheus ?? NO_METRICS;
  const { store, applied } = await openMigratedStore(config);
  logger.info({ store: store.description, applied }, 'store ready');

  const nodeId = newNodeId();
  const infrastructure = await createInfrastructure(config, logger, nodeId);
  logger.info({ pubsub: infrastructure.description, nodeId }, 'pub/sub ready');
  const bus: Bus = infrastructure.bus;
  const users = new UsersRepo(store.db);
  const sessions = new Sessions(
    new SessionsRepo(store.db),
    bus,
    { idleSeconds: config.sessionIdleTtlSeconds, absoluteSeconds: config.sessionAbsoluteTtlSeconds },
    Date.now,
    logger.child({ component: 'sessions' }),
  );
  const secrets = loadTicketSecrets(config.ticketSecrets, config.dataDir);
  if (secrets.warning !== undefined) logger.warn(secrets.warning);
  const services: Services = {
    accounts: new Accounts(users, sessions, {
      limiter: countRefusals(infrastructure.rateLimiter, metrics),
      limits: {
        perIp: config.authRateLimitPerIp,
        perEmail: config.authRateLimitPerEmail,
        perEmailAddress: config.authRateLimitPerEmailAddress,
        perDevice: config.authRateLimitPerDevice,
      },
      // Keyed from the ticket secrets under a label of its own: no extra secret to configure.
      devices: new DeviceCookies(secrets.secrets),
    }),
    sessions,
    tickets: new TicketIssuer(secrets.secrets, config.ticketTtlSeconds, infrastructure.replayGuard),
    publisher: new Publisher(bus, metrics, infrastructure.resumptionLog),
  };

  const schema = createSchema();
  const documents = new DocumentCache(schema, {
    maxBytes: config.maxDocumentBytes,
    maxDepth: config.maxQueryDepth,
    maxTokens: 2000,
    cost: {
      maxAliases: config.maxAliases,
      maxRootFields: config.maxRootFields,
      maxIntrospectionFields: config.maxIntrospectionFields,
      maxFields: config.maxFields,
    },
    cacheBytes: config.documentCacheBytes,
    rules: [oneSignInPerOperation],
  });
  const origins = new OriginPolicy(config.allowedOrigins);
  // GraphQL over SSE on /graphql: the gateway's, set once it exists (the route is registered first).
  const sse: { current: SseHandler | undefined } = { current: undefined };
  const http = await createHttpServer({
    logger,
    bodyLimitBytes: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    requestTimeoutMs: config.httpRequestTimeoutMs,
    headersTimeoutMs: config.httpHeadersTimeoutMs,
    keepAliveTimeoutMs: config.httpKeepAliveTimeoutMs,
    maxConnectionsPerAddress: config.httpMaxConnectionsPerIp,
    ready: async () => {
      await sql`select 1`.execute(store.db);
      await infrastructure.ready();
    },
    schema,
    documents,
    services,
    sessions,
    origins,
    cookie: { secure: config.cookieSecure, absoluteTtlSeconds: config.sessionAbsoluteTtlSeconds },
    maxResponseBytes: config.maxResponseBytes,
    sse,
  });

  // Set once the gateway exists: presence reads the engine's local topics.
  let presence: Presence | undefined;
  const noClient = { ip: '', userAgent: undefined };
  const gateway = createGateway<GraphQLContext, Authenticated>({
    schema,
    documents,
    sessions: tesseraSessions(sessions, { cookieName: sessionCookieName(config.cookieSecure) }),
    origins: config.allowedOrigins,
    tickets: services.tickets,
    bus,
    resumption: infrastructure.resumptionLog,
    // The demo's resolvers see the same context over the socket as over HTTP, without cookies.
    // A shared-scope group is built with no session and no client: nobody's data.
    context: ({ session, client }) => ({ transport: 'socket', auth: session?.user, client: client ?? noClient, cookies: undefined, services }),
    logger,
    metrics,
    clientAddress: clientAddressResolver(config.trustProxy),
    topicWatcher: {
      add: (topic) => presence?.add(topic),
      remove: (topic) => presence?.remove(topic),
    },
    limits: {
      initTimeoutMs: config.wsInitTimeoutMs,
      maxMessageBytes: config.wsMaxMessageBytes,
      maxSubscriptionsPerConnection: config.wsMaxSubscriptionsPerConnection,
      maxConnectionsPerUser: config.wsMaxConnectionsPerUser,
      maxConnectionsPerAddress: config.wsMaxConnectionsPerIp,
      maxBufferedBytes: config.wsMaxBufferedBytes,
      maxTotalBufferedBytes: config.wsMaxTotalBufferedBytes,
      messagesPerSecond: config.wsMessagesPerSecond,
      keepAliveMs: config.wsKeepAliveMs,
      sessionRecheckMs: config.sessionRecheckSeconds * 1000,
      maxResponseBytes: config.maxResponseBytes,
      sseReservationTtlMs: config.sseReservationTtlMs,
    },
  });
  sse.current = gateway.sse;
  const engine = gateway.engine;
  if (prometheus !== undefined && config.metrics === 'on') registerMetricsRoute(http, prometheus);
  gateway.attach(http.server);
  presence = infrastructure.presence(() => engine.activeTopics());
  // Every node turns the lease holder's one tick message into its local users' values.
  const userCounts = new UserCountDelivery({
    bus,
    localTopics: () => engine.activeTopics(),
    deliver: (topic, message) => engine.deliverLocal(topic, message),
    onError: (error) => logger.warn({ err: error }, 'user-count tick not delivered'),
  });
  const worker = new UserCountWorker({
    publishTick: async (message) => {
      await bus.publish(USER_COUNT_TICKS, message);
      metrics.published(); // one event per tick, for every user at once
    },
    lease: infrastructure.lease,
    intervalMs: config.userCountIntervalMs,
    onError: (error) => logger.warn({ err: error }, 'user-count tick failed'),
    onLeadership: (held) => logger.info({ nodeId, pid: process.pid }, held ? 'user-count worker lease taken' : 'user-count worker lease lost'),
  });
  worker.start();

  // Housekeeping: expired rows go, and their sockets (on any node) close.
  const purgeEveryMs = Math.min(60_000, Math.max(1000, (config.sessionIdleTtlSeconds * 1000) / 2));
  const purge = setInterval(() => {
    sessions.purgeExpired().catch((error: unknown) => logger.warn({ err: error }, 'session purge failed'));
  }, purgeEveryMs);
  purge.unref();

  await http.listen({ port: config.port, host: config.host });
  let metricsServer: MetricsServer | undefined;
  if (prometheus !== undefined && typeof config.metrics === 'number') {
    metricsServer = await startMetricsServer(prometheus, config.host, config.metrics);
    logger.info({ metrics: `http://${config.host}:${metricsServer.port}/metrics` }, 'metrics listening');
  }
  const address = http.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;

  let closing: Promise<void> | undefined;
  return {
    config,
    http,
    store,
    bus,
    services,
    rateLimiter: infrastructure.rateLimiter,
    gateway,
    engine,
    worker,
    nodeId,
    metrics,
    metricsPort: metricsServer?.port,
    url,
    close: () =>
      (closing ??= (async () => {
        clearInterval(purge);
        await worker.stop();
        userCounts.close();
        // Stop accepting and let in-flight requests finish, while the sockets get 1001.
        const httpClosed = http.close();
        // A keep-alive connection that was busy when closing began becomes idle once its
        // response is out; Fastify only closes the idle ones at the start, so keep closing them.
        const reaper = setInterval(() => http.server.closeIdleConnections(), 25);
        await gateway.close();
        await httpClosed.finally(() => clearInterval(reaper));
        await metricsServer?.close();
        await infrastructure.close();
        await store.close();
      })()),
  };
}
