/**
 * The gateway as a library: the protocol engine and its `ws` adapter for any
 * GraphQLSchema and any session system, attached to any node:http Server
 * (plain Node, Express, Koa, Fastify's `server`). The composition root of an
 * app wires its own pieces through these options; the engine knows only them.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { GraphQLSchema } from 'graphql';
import type { DocumentCache } from '../graphql/document-cache.js';
import { safeUrl } from '../logging/scrub.js';
import { type Metrics, NO_METRICS } from '../metrics/metrics.js';
import { type Bus, Channels, type RevocationMessage } from '../pubsub/bus.js';
import { MemoryBus } from '../pubsub/memory-bus.js';
import { type PublishOptions, Publisher } from '../pubsub/publisher.js';
import { OriginPolicy } from '../security/origin-policy.js';
import type { GatewaySession, SessionSource } from '../sessions/session-source.js';
import { MemoryReplayGuard, type ReplayGuard } from '../tickets/replay-guard.js';
import { TicketIssuer } from '../tickets/ticket-issuer.js';
import { SocketAuthenticator } from './auth/socket-authenticator.js';
import { type ContextFunction, defaultContext, type SocketContextInput } from './context-input.js';
import { Engine } from './engine.js';
import { documentCacheFor } from './gateway-documents.js';
import { type GatewayLimits, gatewayLimits } from './gateway-limits.js';
import { CloseReason } from './protocol/close-codes.js';
import { passEventsThrough } from './topic-fields.js';
import { WsAdapter } from './ws-adapter.js';
import { SseHandler } from '../sse/sse-handler.js';
import { MemoryResumptionLog, type ResumptionLog } from '../sse/resumption-log.js';

/** A pino-compatible logger (pino itself, or anything with these methods). */
export interface PinoLike {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
  child(bindings: Record<string, unknown>): PinoLike;
}

const SILENT: PinoLike = { info() {}, warn() {}, error() {}, child: () => SILENT };

/** What the default context function gives resolvers: the session (undefined when anonymous, and in a `global` group). */
export interface DefaultContext<TUser = unknown> {
  readonly session: GatewaySession<TUser> | undefined;
}

export interface GatewayOptions<TContext = DefaultContext<unknown>, TUser = unknown> {
  /** Any executable schema. Subscription fields run the standard way, or Tessera's fast path when declared (`extensions.tessera`, `declareTopics`). */
  readonly schema: GraphQLSchema;
  /** The session system: resolves the upgrade's cookie, checks session ids, and may announce ended sessions. */
  readonly sessions: SessionSource<TUser>;
  /** Allowed browser Origins, exact (scheme, host, port). An upgrade from any other is refused (403); the cookie is read only from these. */
  readonly origins: readonly string[];
  /** The upgrade path served; others get 404. Default '/graphql'. */
  readonly path?: string;
  /**
   * Ticket signing secrets: the first signs, all verify (rotation). Default: one random
   * secret for this process (a warning is logged when the bus is not the in-memory one:
   * other processes could not verify its tickets).
   */
  readonly ticketSecrets?: readonly string[];
  /** How long a ticket is valid, in seconds. Default 60. */
  readonly ticketTtlSeconds?: number;
  /** Remembers spent tickets so that each works once. Default: a MemoryReplayGuard (one process; after a restart it refuses the tickets signed before it). For several processes: a RedisReplayGuard, or a StoreReplayGuard on a shared database. */
  readonly replayGuard?: ReplayGuard;
  /** A ticket issuer you also use elsewhere (e.g. your HTTP resolvers); when given, `ticketSecrets`, `ticketTtlSeconds` and `replayGuard` are not used. */
  readonly tickets?: TicketIssuer;
  /** Carries fast-path events and session revocations between processes. Default: an in-memory bus (one process). */
  readonly bus?: Bus;
  /** Builds each operation's context. Default `({ session }) => ({ session })`. */
  readonly context?: (input: SocketContextInput<TUser>) => TContext | Promise<TContext>;
  /** Where the gateway logs (never secrets). Default: silent. */
  readonly logger?: PinoLike;
  /** Socket and document limits; each missing one at its default (see GatewayLimits). */
  readonly limits?: Partial<GatewayLimits>;
  /** Counters and gauges (e.g. tessera's Prometheus metrics). Default: none. */
  readonly metrics?: Metrics;
  /** The client's address of an upgrade (behind trusted proxies, say). Default: the TCP peer's address. */
  readonly clientAddress?: (request: IncomingMessage) => string;
  /** A document cache you share with your HTTP route (its limits then apply to the socket too). Default: one made from `limits`. */
  readonly documents?: DocumentCache;
  /** Told when a fast-path topic gets its first local subscriber and loses its last (cluster presence). Default: nobody. */
  readonly topicWatcher?: { add(topic: string): void; remove(topic: string): void };
  /**
   * The SSE resumption log (`Last-Event-ID`): published events are appended to it and carry
   * its id. Default: a MemoryResumptionLog sized by `limits` (one process); with several
   * processes use `RedisResumptionLog` from 'tessera/redis' (same ids on every node). `false`: none.
   */
  readonly resumption?: ResumptionLog | false;
}

export interface Gateway<TUser = unknown> {
  /** Serves WebSocket upgrades for `path` on this server (an `upgrade` listener). Once per gateway. */
  attach(server: Server): void;
  /** A single-use ticket for this session, for `connection_init`'s `{ token }`. */
  issueTicket(session: { id: string; userId: string }): string;
  /**
   * Closes this process's sockets of these sessions at once (4401 and `reason`, default
   * 'session ended'), then announces it on the bus for every node. Rejects when the bus
   * could not take the announcement (the local sockets are closed all the same).
   */
  endSessions(sessionIds: readonly string[], reason?: string): Promise<void>;
  /**
   * Publishes an event for a fast-path topic: `event` is the subscription field's value
   * (JSON-serializable). Logged for SSE resumption unless `{ resumable: false }`.
   */
  publish(topic: string, event: unknown, options?: PublishOptions): Promise<void>;
  /**
   * GraphQL over SSE on the same engine (graphql-sse's both modes): `sse.read(request)` says
   * whether a request is one, `sse.serve(read, req, res)` answers it on the raw response.
   * The Fastify plugin calls it on `path`; any node:http route can.
   */
  readonly sse: SseHandler;
  /** The SSE resumption log, when there is one (an app's own Publisher appends to it too). */
  readonly resumptionLog: ResumptionLog | undefined;
  /** Closes every socket with 1001 and stops; resolves once they are gone. The bus is closed only when the gateway made it. */
  close(): Promise<void>;
  /** The protocol engine underneath: counts (`connectionCount`, `activeTopics()`), local delivery (`deliverLocal`), the document cache. */
  readonly engine: Engine;
  /** The ticket issuer the gateway redeems with. */
  readonly tickets: TicketIssuer;
}

const peerAddress = (request: IncomingMessage) => request.socket.remoteAddress ?? '';

export function createGateway<TContext = DefaultContext<unknown>, TUser = unknown>(options: GatewayOptions<TContext, TUser>): Gateway<TUser> {
  const limits = gatewayLimits(options.limits);
  const log = options.logger ?? SILENT;
  const gatewayLog = log.child({ component: 'gateway' });
  const metrics = options.metrics ?? NO_METRICS;
  const ownBus = options.bus === undefined;
  const bus = options.bus ?? new MemoryBus();
  let tickets = options.tickets;
  if (tickets === undefined) {
    let secrets = options.ticketSecrets;
    if (secrets === undefined || secrets.length === 0) {
      secrets = [randomBytes(32).toString('base64url')];
      if (!ownBus && !(bus instanceof MemoryBus)) {
        log.warn({}, 'no ticketSecrets: tickets are signed with a random secret of this process, which other processes cannot verify; pass the same ticketSecrets to every process');
      }
    }
    tickets = new TicketIssuer(secrets, options.ticketTtlSeconds ?? 60, options.replayGuard ?? new MemoryReplayGuard());
  }
  const schema = options.schema;
  passEventsThrough(schema);
  const documents =
    options.documents ??
    documentCacheFor(schema, limits);
  const sessions = options.sessions as SessionSource;
  const engine = new Engine({
    schema,
    documents,
    sessions,
    authenticator: new SocketAuthenticator(tickets, sessions, metrics),
    context: (options.context ?? defaultContext) as ContextFunction,
    bus,
    limits: {
      initTimeoutMs: limits.initTimeoutMs,
      maxSubscriptionsPerConnection: limits.maxSubscriptionsPerConnection,
      maxConnectionsPerUser: limits.maxConnectionsPerUser,
      maxBufferedBytes: limits.maxBufferedBytes,
      maxTotalBufferedBytes: limits.maxTotalBufferedBytes,
      messagesPerSecond: limits.messagesPerSecond,
      sessionRecheckMs: limits.sessionRecheckMs,
      maxResponseBytes: limits.maxResponseBytes,
      messageSliceMs: limits.messageSliceMs,
    },
    log: gatewayLog,
    metrics,
    topicWatcher: options.topicWatcher,
  });
  metrics.setGaugeSource(() => engine.gauges());
  // Sessions ended in this process close their sockets here at once, even when the bus is down.
  const stopEnded = options.sessions.onEnded?.((ids, reason) => engine.revokeSessions(ids, reason, Date.now()));
  const resumptionLog =
    options.resumption === false
      ? undefined
      : (options.resumption ??
        new MemoryResumptionLog({
          maxEvents: limits.sseResumeMaxEvents,
          maxAgeMs: limits.sseResumeMaxAgeMs,
          maxTopics: limits.sseResumeMaxTopics,
          maxBytes: limits.sseResumeMaxBytes,
        }));
  const publisher = new Publisher(bus, metrics, resumptionLog);
  const origins = new OriginPolicy(options.origins);
  // Sockets and streams from one address, counted together (WS_MAX_CONNECTIONS_PER_IP).
  const perAddress = new Map<string, number>();
  const clientAddress = options.clientAddress ?? peerAddress;
  const sse = new SseHandler({
    engine,
    origins,
    clientAddress,
    perAddress,
    maxConnectionsPerAddress: limits.maxConnectionsPerAddress,
    keepAliveMs: limits.keepAliveMs,
    reservationTtlMs: limits.sseReservationTtlMs,
    resumption: resumptionLog,
    log: gatewayLog,
    safeUrl,
  });
  let adapter: WsAdapter | undefined;
  let closing: Promise<void> | undefined;
  const gateway: Gateway<TUser> = {
    engine,
    tickets,
    sse,
    resumptionLog,
    attach(server) {
      if (adapter !== undefined) throw new Error('this gateway is already attached to a server');
      if (closing !== undefined) throw new Error('this gateway is closed');
      adapter = new WsAdapter({
        server,
        engine,
        origins,
        path: options.path ?? '/graphql',
        maxMessageBytes: limits.maxMessageBytes,
        maxConnectionsPerAddress: limits.maxConnectionsPerAddress,
        keepAliveMs: limits.keepAliveMs,
        log: gatewayLog,
        safeUrl,
        clientAddress,
        perAddress,
        metrics,
      });
    },
    issueTicket(session) {
      return (tickets as TicketIssuer).issue({ sessionId: session.id, userId: session.userId });
    },
    async endSessions(sessionIds, reason = CloseReason.sessionEnded) {
      if (sessionIds.length === 0) return;
      const endedAt = Date.now();
      engine.revokeSessions(sessionIds, reason, endedAt);
      const message: RevocationMessage = { sessionIds: [...sessionIds], reason, endedAt };
      await bus.publish(Channels.revocations, JSON.stringify(message));
    },
    publish(topic, event, publishOptions) {
      return publisher.publish(topic, event, publishOptions);
    },
    close() {
      return (closing ??= (async () => {
        stopEnded?.();
        sse.close();
        if (adapter !== undefined) await adapter.close();
        else engine.shutdown();
        if (ownBus) await bus.close();
      })());
    },
  };
  return gateway;
}
