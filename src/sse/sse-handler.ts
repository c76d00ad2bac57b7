/**
 * GraphQL over SSE for any node:http request (the Fastify plugin and the demo
 * app hand it their raw request and response): both graphql-sse modes, with the
 * socket's authentication, caps, fan-out and revocation, by making each stream
 * a connection of the gateway's {@link Engine} (engine.openStream) whose
 * transport writes SSE (sse-transport.ts). The decisions are the cores':
 * protocol.ts reads the request, stream-cookie-rule.ts says whether the cookie
 * counts, reservations.ts keeps single-connection streams, resumption-log.ts
 * answers Last-Event-ID. Written by hand: graphql-sse's own handler executes
 * per stream with its own context (no shared fan-out groups, no session watch).
 *
 * Per stream there is no timer: keep-alive comments go out from one interval for
 * every stream, unopened reservations expire from one timer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Connection } from '../gateway/connection.js';
import type { Engine, EngineLog } from '../gateway/engine.js';
import type { Subscriber } from '../gateway/fanout/topic-registry.js';
import { CloseReason } from '../gateway/protocol/close-codes.js';
import type { SubscribePayload } from '../gateway/protocol/messages.js';
import { SingleTimer } from '../gateway/timers/single-timer.js';
import { selectOperation } from '../graphql/document-cache.js';
import { ErrorCode } from '../graphql/errors.js';
import { csrfRefusal, getCsrfRefusal } from '../security/csrf.js';
import type { OriginPolicy } from '../security/origin-policy.js';
import type { GatewaySession } from '../sessions/session-source.js';
import { eventsMissedEvent, nextEvent, type SseNext } from './event-stream.js';
import { parseSseRequest, type SseParams, type SseRequest, type SseRequestView, type TokenRef } from './protocol.js';
import { type ReservationOwner, Reservations } from './reservations.js';
import { compareEventIds, parseEventId, type ResumptionLog } from './resumption-log.js';
import { streamCookieRule } from './stream-cookie-rule.js';
import { DISTINCT_OPERATION, SseTransport } from './sse-transport.js';

export interface SseHandlerOptions {
  readonly engine: Engine;
  readonly origins: OriginPolicy;
  /** The client's address for the per-address cap (the gateway's `clientAddress`). */
  readonly clientAddress: (request: IncomingMessage) => string;
  /** Open streams and sockets per address: the WebSocket adapter's count, shared. */
  readonly perAddress: Map<string, number>;
  /** WS_MAX_CONNECTIONS_PER_IP: sockets and streams from one address. */
  readonly maxConnectionsPerAddress: number;
  /** WS_KEEPALIVE_MS: a keep-alive comment on every stream this often; 0: none. */
  readonly keepAliveMs: number;
  /** SSE_RESERVATION_TTL_MS: how long a single-connection reservation waits for its stream. */
  readonly reservationTtlMs: number;
  /** The Last-Event-ID log; undefined: no resumption (events carry no id). */
  readonly resumption: ResumptionLog | undefined;
  readonly log: EngineLog;
  /** Renders a URL for a log line without its query values (logging/scrub.ts). */
  readonly safeUrl: (url: string) => string;
}

/** A single-connection reservation's server side: who it is for, and its stream once open. */
interface Reserved {
  readonly session: GatewaySession | undefined;
  readonly checkedSince: number;
  transport: SseTransport | undefined;
  connection: Connection | undefined;
  /** Operations posted before the stream opened (PROTOCOL.md allows it): run when it opens. */
  readonly waiting: Map<string, SubscribePayload>;
}

type Authenticated = { readonly ok: true; readonly session: GatewaySession | undefined; readonly via: ReservationOwner['via']; readonly checkedSince: number } | { readonly ok: false; readonly status: number; readonly code: string; readonly message: string };

const NOT_SSE: SseRequest = { kind: 'not-sse' };

/** Whether Accept names a JSON answer explicitly (a wildcard does not count: graphql-sse's client sends only the stream type). */
function acceptsJson(accept: string | string[] | undefined): boolean {
  if (typeof accept !== 'string') return false;
  return accept.split(',').some((range) => {
    const [type = '', ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    if (type !== 'application/json' && type !== 'application/graphql-response+json') return false;
    const quality = params.find((param) => param.startsWith('q='));
    return quality === undefined || Number(quality.slice(2)) > 0;
  });
}

const payloadOf = (params: SseParams): SubscribePayload => ({
  query: params.query,
  variables: params.variables ?? null,
  operationName: params.operationName ?? null,
  extensions: params.extensions ?? null,
});

export class SseHandler {
  readonly #options: SseHandlerOptions;
  readonly #reservations: Reservations;
  readonly #reserved = new Map<string, Reserved>();
  readonly #streams = new Set<SseTransport>();
  readonly #expiry = new SingleTimer(() => this.#expire());
  readonly #keepAlive: NodeJS.Timeout | undefined;
  readonly #stopRevoked: () => void;
  #closing = false;

  constructor(options: SseHandlerOptions) {
    this.#options = options;
    const limits = options.engine.limits;
    this.#reservations = new Reservations({
      ttlMs: options.reservationTtlMs,
      maxPerUser: limits.maxConnectionsPerUser,
      maxPerAddress: options.maxConnectionsPerAddress,
      // The stream's connection enforces WS_MAX_SUBSCRIPTIONS_PER_CONNECTION with a SUBSCRIPTION_LIMIT
      // `next` on the stream, as the socket does (a 429 here is a NetworkError graphql-sse retries).
      maxOperations: Infinity,
    });
    if (options.keepAliveMs > 0) {
      this.#keepAlive = setInterval(() => {
        for (const stream of this.#streams) stream.keepAlive();
      }, options.keepAliveMs);
      this.#keepAlive.unref();
    }
    // Opened streams are connections, which the session watch ends; reservations not yet open are dropped here.
    this.#stopRevoked = options.engine.onRevoked((sessionIds) => {
      for (const id of sessionIds) for (const reservation of this.#reservations.releaseSession(id)) this.#forget(reservation.token);
    });
  }

  /** Open streams on this process. */
  get streamCount(): number {
    return this.#streams.size;
  }

  /**
   * What the request asks for (`not-sse`: the ordinary GraphQL-over-HTTP route answers it).
   * A client that accepts JSON as well as an event stream (urql's and Yoga's default Accept)
   * gets its query or mutation (or a document that does not parse) answered as JSON: only a
   * subscription needs a stream (graphql-sse's client accepts nothing but the stream).
   */
  read(request: SseRequestView): SseRequest {
    const read = parseSseRequest(request);
    if (read.kind !== 'distinct' || !acceptsJson(request.headers['accept'])) return read;
    const prepared = this.#options.engine.documents.prepare(read.params.query);
    if (!prepared.ok) return NOT_SSE;
    return selectOperation(prepared.prepared, read.params.operationName ?? undefined)?.operation === 'subscription' ? read : NOT_SSE;
  }

  /**
   * Answers an SSE request (what {@link read} made of it, anything but `not-sse`) on the raw
   * response: the caller has given the response up (Fastify: `reply.hijack()`). Resolves once
   * the answer is written or the stream started.
   */
  async serve(sse: SseRequest, request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      await this.#serve(sse, request, response);
    } catch (error) {
      this.#options.log.error({ err: error, url: this.#options.safeUrl(request.url ?? '/') }, 'SSE request failed');
      if (!response.headersSent) answer(response, 500, ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error.');
      else response.end();
    }
  }

  async #serve(sse: SseRequest, request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (sse.kind === 'not-sse') throw new Error('not an SSE request');
    if (sse.kind === 'refused') {
      answer(response, sse.status, ErrorCode.BAD_REQUEST, sse.message, sse.headers);
      return;
    }
    if (this.#closing) {
      answer(response, 503, ErrorCode.SERVICE_UNAVAILABLE, 'server shutting down');
      return;
    }
    const method = (request.method ?? 'GET').toUpperCase();
    // CSRF: a GET by Fetch Metadata, a POST by its content type (or a preflight header).
    // PUT and DELETE are never sent cross-origin without a CORS preflight, which only ALLOWED_ORIGINS pass.
    const allows = (origin: string) => this.#options.origins.allows(origin);
    const csrf = method === 'GET' ? getCsrfRefusal(request.headers, allows) : method === 'POST' ? csrfRefusal(request.headers) : undefined;
    if (csrf !== undefined) {
      answer(response, 400, ErrorCode.CSRF_REJECTED, csrf);
      return;
    }
    const verdict = streamCookieRule(request.headers, request.headers.cookie !== undefined, allows);
    if (verdict.cookie === 'refuse') {
      answer(response, verdict.status, ErrorCode.ORIGIN_FORBIDDEN, verdict.message);
      return;
    }
    const cookie = verdict.cookie === 'use' ? request.headers.cookie : undefined;
    switch (sse.kind) {
      case 'distinct':
        return this.#distinct(sse, request, response, cookie);
      case 'reserve':
        return this.#reserve(sse.ticket, request, response, cookie);
      case 'stream':
        return this.#openReserved(sse.token, sse.lastEventId, request, response, cookie);
      case 'operation':
        if (this.#mutationOverGet(method, sse.params, response)) return;
        return this.#operation(sse.token, sse.operationId, sse.params, response, cookie);
      case 'stop':
        return this.#stop(sse.token, sse.operationId, response, cookie);
    }
  }

  /** The ticket (header or body) or else the cookie (when it counts): the socket's `connection_init` rules. */
  async #authenticate(ticket: string | undefined, cookie: string | undefined): Promise<Authenticated> {
    const engine = this.#options.engine;
    const checkedSince = Date.now();
    const cookieAuth = ticket === undefined && cookie !== undefined ? engine.authenticator.byCookie(cookie) : undefined;
    const result = await engine.authenticator.byInitPayload(ticket === undefined ? undefined : { token: ticket }, cookieAuth);
    if (!result.ok) return { ok: false, status: 401, code: ErrorCode.UNAUTHENTICATED, message: result.reason };
    const via = result.session === undefined ? 'anonymous' : ticket !== undefined ? 'ticket' : 'cookie';
    return { ok: true, session: result.session, via, checkedSince };
  }

  /** The session the cookie names, for matching a cookie-made reservation (undefined: none, or it does not count). */
  async #cookieSessionId(cookie: string | undefined): Promise<string | undefined> {
    if (cookie === undefined) return undefined;
    return (await this.#options.engine.authenticator.byCookie(cookie))?.id;
  }

  #addressFull(ip: string): boolean {
    return (this.#options.perAddress.get(ip) ?? 0) >= this.#options.maxConnectionsPerAddress;
  }

  /** Starts a stream's connection: counted per address (with sockets) and per user; undefined when refused (answered). */
  async #open(
    transport: SseTransport,
    request: IncomingMessage,
    response: ServerResponse,
    auth: { session: GatewaySession | undefined; checkedSince: number },
    onClosed: () => void,
  ): Promise<Connection | undefined> {
    const ip = this.#options.clientAddress(request);
    if (this.#addressFull(ip)) {
      answer(response, 429, ErrorCode.BAD_REQUEST, CloseReason.tooManyConnections);
      return undefined;
    }
    const perAddress = this.#options.perAddress;
    perAddress.set(ip, (perAddress.get(ip) ?? 0) + 1);
    let connection: Connection | undefined;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#streams.delete(transport);
      const count = (perAddress.get(ip) ?? 1) - 1;
      if (count <= 0) perAddress.delete(ip);
      else perAddress.set(ip, count);
      connection?.released();
      onClosed();
    };
    transport.onClosed = release;
    connection = await this.#options.engine.openStream(transport, { ip, userAgent: request.headers['user-agent'] }, auth.session, auth.checkedSince);
    // The client may have gone while it was authenticated (before the transport listened for 'close').
    if (connection === undefined || transport.isEnded || response.destroyed || request.socket.destroyed) {
      if (connection !== undefined && !transport.isEnded) connection.close(1001, CloseReason.goingAway);
      release();
      return undefined;
    }
    transport.start();
    this.#streams.add(transport);
    return connection;
  }

  /** A mutation over GET is refused (405), as on the GraphQL-over-HTTP route: GETs may be sent cross-site, prefetched, retried. */
  #mutationOverGet(method: string, params: SseParams, response: ServerResponse): boolean {
    if (method !== 'GET') return false;
    const prepared = this.#options.engine.documents.prepare(params.query);
    if (!prepared.ok) return false; // the stream reports the errors
    if (selectOperation(prepared.prepared, params.operationName ?? undefined)?.operation !== 'mutation') return false;
    answer(response, 405, ErrorCode.BAD_REQUEST, 'Mutations are not allowed over GET: send a POST.', { allow: 'POST' });
    return true;
  }

  async #distinct(sse: Extract<SseRequest, { kind: 'distinct' }>, request: IncomingMessage, response: ServerResponse, cookie: string | undefined): Promise<void> {
    if (this.#mutationOverGet((request.method ?? 'GET').toUpperCase(), sse.params, response)) return;
    const auth = await this.#authenticate(sse.ticket, cookie);
    if (!auth.ok) {
      this.#options.log.info({ ip: this.#options.clientAddress(request), reason: auth.message }, 'SSE credential refused');
      answer(response, auth.status, auth.code, auth.message);
      return;
    }
    const transport = new SseTransport(response, 'distinct');
    const connection = await this.#open(transport, request, response, auth, () => {});
    if (connection === undefined) return;
    transport.addOperation(DISTINCT_OPERATION);
    const engine = this.#options.engine;
    const resuming = sse.lastEventId !== undefined && this.#options.resumption !== undefined;
    if (resuming) transport.hold();
    await engine.runOperation(connection, DISTINCT_OPERATION, payloadOf(sse.params));
    if (resuming) await this.#resume(connection, transport, sse.lastEventId as string);
  }

  /**
   * Last-Event-ID on a distinct stream: it joined its group first (live events held),
   * then gets what the log has after that id through its group's selection, in order,
   * with the events-missed signal first when the window was exceeded; then the held
   * live events newer than the last replayed one.
   */
  async #resume(connection: Connection, transport: SseTransport, lastEventId: string): Promise<void> {
    const log = this.#options.resumption as ResumptionLog;
    const operation = connection.operations.get(DISTINCT_OPERATION);
    const group = typeof operation === 'object' && 'sink' in operation ? (operation as Subscriber).group : undefined;
    let last = parseEventId(lastEventId);
    try {
      if (group !== undefined && group.resumable !== false && last !== undefined) {
        const missed = await log.since(group.topic, lastEventId);
        if (missed.gap) transport.write(eventsMissedEvent(missed.events.at(-1)?.id));
        for (const event of missed.events) {
          if (!connection.isOpen) return;
          const payload = await this.#options.engine.eventPayload(group, event.data);
          transport.write(nextEvent(payload, undefined, event.id));
          last = parseEventId(event.id) ?? last;
        }
      }
    } finally {
      const after = last;
      transport.release((next: SseNext) => {
        const id = next.id === undefined ? undefined : parseEventId(next.id);
        return after === undefined || id === undefined || compareEventIds(id, after) > 0;
      });
    }
  }

  async #reserve(ticket: string | undefined, request: IncomingMessage, response: ServerResponse, cookie: string | undefined): Promise<void> {
    const auth = await this.#authenticate(ticket, cookie);
    if (!auth.ok) {
      answer(response, auth.status, auth.code, auth.message);
      return;
    }
    const made = this.#reservations.reserve({
      via: auth.via,
      sessionId: auth.session?.id,
      userId: auth.session?.userId,
      address: this.#options.clientAddress(request),
    });
    if (!made.ok) {
      answer(response, made.status, ErrorCode.BAD_REQUEST, made.message);
      return;
    }
    const token = made.value.token;
    this.#reserved.set(token, { session: auth.session, checkedSince: auth.checkedSince, transport: undefined, connection: undefined, waiting: new Map() });
    this.#expiry.armFor(made.value.expiresAt);
    response.writeHead(201, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    response.end(token);
  }

  async #openReserved(token: TokenRef, _lastEventId: string | undefined, request: IncomingMessage, response: ServerResponse, cookie: string | undefined): Promise<void> {
    const cookieSessionId = await this.#cookieSessionId(cookie);
    const attached = this.#reservations.attach({ token: token.value, from: token.from, cookieSessionId });
    const reserved = this.#reserved.get(token.value);
    if (!attached.ok || reserved === undefined) {
      answer(response, attached.ok ? 404 : attached.status, ErrorCode.BAD_REQUEST, attached.ok ? 'Stream not found' : attached.message);
      return;
    }
    const transport = new SseTransport(response, 'single', (operationId) => this.#reservations.completeOperation(token.value, operationId));
    reserved.transport = transport;
    // Single-connection streams carry no `id:` (one Last-Event-ID cannot stand for several topics): no resumption.
    const connection = await this.#open(transport, request, response, reserved, () => {
      this.#reservations.release(token.value);
      this.#forget(token.value);
    });
    if (connection === undefined) return;
    reserved.connection = connection;
    for (const [operationId, payload] of reserved.waiting) this.#run(transport, connection, operationId, payload);
    reserved.waiting.clear();
  }

  #run(transport: SseTransport, connection: Connection, operationId: string, payload: SubscribePayload): void {
    transport.addOperation(operationId);
    void this.#options.engine.runOperation(connection, operationId, payload);
  }

  async #operation(token: TokenRef, operationId: string, params: SseParams, response: ServerResponse, cookie: string | undefined): Promise<void> {
    const cookieSessionId = await this.#cookieSessionId(cookie);
    const added = this.#reservations.addOperation({ token: token.value, from: token.from, cookieSessionId }, operationId);
    const reserved = this.#reserved.get(token.value);
    if (!added.ok || reserved === undefined) {
      answer(response, added.ok ? 404 : added.status, ErrorCode.BAD_REQUEST, added.ok ? 'Stream not found' : added.message);
      return;
    }
    const payload = payloadOf(params);
    if (reserved.connection !== undefined && reserved.transport !== undefined) {
      this.#run(reserved.transport, reserved.connection, operationId, payload);
    } else {
      // Before the stream opens there is nowhere to send SUBSCRIPTION_LIMIT: past the cap, 429.
      const limit = this.#options.engine.limits.maxSubscriptionsPerConnection;
      if (reserved.waiting.size >= limit) {
        this.#reservations.completeOperation(token.value, operationId);
        answer(response, 429, ErrorCode.SUBSCRIPTION_LIMIT, `This stream already has ${limit} operations waiting for it to open, the limit.`);
        return;
      }
      reserved.waiting.set(operationId, payload);
    }
    response.writeHead(202, { 'cache-control': 'no-store' });
    response.end();
  }

  async #stop(token: TokenRef, operationId: string, response: ServerResponse, cookie: string | undefined): Promise<void> {
    const cookieSessionId = await this.#cookieSessionId(cookie);
    const stopped = this.#reservations.stopOperation({ token: token.value, from: token.from, cookieSessionId }, operationId);
    if (!stopped.ok) {
      answer(response, stopped.status, ErrorCode.BAD_REQUEST, stopped.message);
      return;
    }
    const reserved = this.#reserved.get(token.value);
    reserved?.waiting.delete(operationId);
    if (reserved?.connection !== undefined) this.#options.engine.completeOperation(reserved.connection, operationId);
    response.writeHead(200, { 'cache-control': 'no-store' });
    response.end();
  }

  #forget(token: string): void {
    this.#reserved.delete(token);
  }

  #expire(): void {
    for (const reservation of this.#reservations.expire()) this.#forget(reservation.token);
    const next = this.#reservations.nextExpiry();
    if (next !== undefined) this.#expiry.armFor(next);
  }

  /** Stops taking streams and timers; the engine's shutdown ends the open ones (they reconnect elsewhere). */
  close(): void {
    this.#closing = true;
    this.#expiry.cancel();
    if (this.#keepAlive !== undefined) clearInterval(this.#keepAlive);
    this.#stopRevoked();
  }
}

function answer(response: ServerResponse, status: number, code: string, message: string, headers: Readonly<Record<string, string>> = {}): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  response.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  response.end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}
