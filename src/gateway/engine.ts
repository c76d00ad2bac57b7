/**
 * The graphql-transport-ws protocol engine. Pure of sockets and HTTP: it is
 * handed {@link Transport}s by an adapter (ws-adapter.ts) and text frames to
 * read, and it answers through the transports. It owns the subscription
 * registry, the fan-out, the per-user caps and the session watch.
 */
import { type DocumentNode, getOperationAST, type GraphQLSchema } from 'graphql';
import type { GatewaySession, SessionSource } from '../sessions/session-source.js';
import type { DocumentCache } from '../graphql/document-cache.js';
import { isStoreUnavailable } from '../graphql/format-errors.js';
import { type GatewayGauges, type Metrics, NO_METRICS } from '../metrics/metrics.js';
import { type Bus, Channels, type Listener, type RevocationMessage } from '../pubsub/bus.js';
import type { SocketAuthenticator } from './auth/socket-authenticator.js';
import { Connection, type ConnectionShared, type Operation } from './connection.js';
import { type ContextFunction, defaultContext } from './context-input.js';
import { OutputBudget } from './output-budget.js';
import { Fanout } from './fanout/fanout.js';
import { type Group, type GroupSpec, memberCount, type Subscriber, TopicRegistry } from './fanout/topic-registry.js';
import { flatString } from './flat-string.js';
import { handleComplete } from './handlers/complete.js';
import { handleConnectionInit } from './handlers/connection-init.js';
import { handlePing } from './handlers/ping.js';
import { handleSubscribe } from './handlers/subscribe.js';
import { CloseCode, CloseReason } from './protocol/close-codes.js';
import { type ClientMessage, parseClientMessage, ProtocolError, SUBPROTOCOL, type SubscribePayload } from './protocol/messages.js';
import { MessageSlicer } from './message-slicer.js';
import { SessionWatch } from './session-watch.js';
import { SingleTimer } from './timers/single-timer.js';
import type { Transport, UpgradeInfo } from './transport.js';

export interface EngineLimits {
  readonly initTimeoutMs: number;
  readonly maxSubscriptionsPerConnection: number;
  readonly maxConnectionsPerUser: number;
  readonly maxBufferedBytes: number;
  /** Unread output across all sockets (WS_MAX_TOTAL_BUFFERED_BYTES); unset: no process-wide budget. */
  readonly maxTotalBufferedBytes?: number;
  readonly messagesPerSecond: number;
  /** How often every watched session is re-checked in the store (SESSION_RECHECK_SECONDS), in ms; 30 s by default. */
  readonly sessionRecheckMs?: number;
  /** MAX_RESPONSE_BYTES: a query or mutation result over it is refused with RESPONSE_TOO_LARGE. */
  readonly maxResponseBytes: number;
  /**
   * Time the client messages of one event-loop turn may take before the rest wait
   * for later turns (their sockets paused meanwhile), in ms; 10 by default.
   */
  readonly messageSliceMs?: number;
}

export interface EngineLog {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface EngineOptions {
  readonly schema: GraphQLSchema;
  readonly documents: DocumentCache;
  /** The session system: the session watch re-checks and expires sessions through it. */
  readonly sessions: SessionSource;
  readonly authenticator: SocketAuthenticator;
  /** Builds each operation's context; `({ session }) => ({ session })` by default. */
  readonly context?: ContextFunction;
  readonly bus: Bus;
  readonly limits: EngineLimits;
  readonly log: EngineLog;
  /** Told when a topic gets its first local subscriber and loses its last (cluster presence). */
  readonly topicWatcher?: { add(topic: string): void; remove(topic: string): void };
  /** Counts deliveries and revocations; the no-op by default. */
  readonly metrics?: Metrics;
}

export class Engine {
  readonly schema: GraphQLSchema;
  readonly documents: DocumentCache;
  readonly authenticator: SocketAuthenticator;
  readonly limits: EngineLimits;
  readonly log: EngineLog;
  readonly #sessions: SessionSource;
  readonly #context: ContextFunction;
  // The context of shared-scope groups (built for no session), made once when first needed.
  #sharedContext: { value: unknown } | Promise<unknown> | undefined;
  readonly #bus: Bus;
  readonly #registry = new TopicRegistry();
  readonly #fanout: Fanout;
  readonly #watch: SessionWatch;
  readonly #connections = new Set<Connection>();
  readonly #connectionsPerUser = new Map<string, number>();
  // Per topic, the function that stops listening to it: only for a bus without `unsubscribe`.
  // With one, every topic shares #onTopicMessage, and nothing is kept per topic here.
  readonly #topicListeners = new Map<string, () => void>();
  readonly #onTopicMessage: Listener = (message, channel) => {
    // Only used with a bus that has `unsubscribe` or `subscribePrefix`, which pass the channel (bus.ts).
    if (channel !== undefined) this.#fanout.deliver(Channels.topicOf(channel), message);
  };
  // On a bus with `subscribePrefix` (the in-process one): #onTopicMessage hears every topic,
  // and no topic is subscribed on the bus one by one. Its stop function, else undefined.
  readonly #stopAllTopics: (() => void) | undefined;
  // Standard (graphql-js subscribe) subscriptions running, by field, for the gauges.
  readonly #streamsByField = new Map<string, number>();
  // Connections awaiting connection_init, in the order their deadlines fall: one timer for all.
  // A Set keeps insertion order, which is deadline order (the timeout is one constant).
  readonly #awaitingInit = new Set<Connection>();
  readonly #initTimer = new SingleTimer(() => this.#expireInits());
  readonly #stopRevocations: () => void;
  readonly #stopReconnects: () => void;
  readonly #released = (connection: Connection) => this.#release(connection);
  readonly #topicWatcher: EngineOptions['topicWatcher'];
  readonly #metrics: Metrics;
  // A group's subscription field, found once per document (documents are shared by the document cache).
  readonly #fieldOf = new WeakMap<DocumentNode, string>();
  readonly #outputBudget: OutputBudget | undefined;
  readonly #slicer: MessageSlicer<Connection>;
  // What every Connection reads (limits, release callback, output budget): one frozen object for all of them.
  readonly #connectionShared: ConnectionShared;
  readonly #revokedListeners = new Set<(sessionIds: readonly string[], reason: string) => void>();

  constructor(options: EngineOptions) {
    this.schema = options.schema;
    this.documents = options.documents;
    this.authenticator = options.authenticator;
    this.limits = options.limits;
    this.log = options.log;
    this.#sessions = options.sessions;
    this.#context = options.context ?? defaultContext;
    this.#bus = options.bus;
    this.#topicWatcher = options.topicWatcher;
    this.#metrics = options.metrics ?? NO_METRICS;
    this.#slicer = new MessageSlicer<Connection>({
      handle: (connection, text) => this.#receiveNow(connection, text),
      pause: (connection) => connection.transport.pause?.(),
      resume: (connection) => connection.transport.resume?.(),
      budgetMs: options.limits.messageSliceMs ?? 10,
    });
    const total = options.limits.maxTotalBufferedBytes;
    this.#outputBudget = total === undefined ? undefined : new OutputBudget(total);
    this.#connectionShared = Object.freeze({
      maxBufferedBytes: options.limits.maxBufferedBytes,
      messagesPerSecond: options.limits.messagesPerSecond,
      onClose: this.#released,
      budget: this.#outputBudget,
    });
    this.#fanout = new Fanout(this.schema, this.#registry, this.log, this.#metrics);
    this.#watch = new SessionWatch(options.sessions, this.log, { recheckMs: options.limits.sessionRecheckMs });
    this.#stopRevocations = this.#bus.subscribe(Channels.revocations, (message) => {
      try {
        const revocation = JSON.parse(message) as RevocationMessage;
        this.revokeSessions(revocation.sessionIds, revocation.reason, revocation.endedAt);
      } catch (error) {
        this.log.error({ err: error }, 'bad revocation message');
      }
    });
    this.#stopAllTopics = this.#bus.subscribePrefix?.(Channels.topic(''), this.#onTopicMessage);
    // Revocations published while this node was cut off from the bus are not replayed: ask the store.
    this.#stopReconnects = this.#bus.onReconnect(() => {
      this.log.info({ sessions: this.#watch.sessionCount }, 'bus reconnected: re-checking every watched session');
      void this.#watch.recheckAll();
    });
  }

  /**
   * Closes this node's sockets of sessions ended in this process, without waiting
   * for the bus (which may be down): the composition root wires it to Sessions.onEnded;
   * revocations from the bus come here too. `endedAt` feeds the revocation-delay metric.
   */
  revokeSessions(sessionIds: readonly string[], reason: string, endedAt?: number): void {
    const open = this.#connections.size;
    this.#watch.revoke(sessionIds, reason);
    // What holds a session without a connection yet (an SSE reservation no stream opened).
    for (const listener of this.#revokedListeners) listener(sessionIds, reason);
    // Closing releases synchronously, so the drop in open connections is the sockets this revocation closed.
    const closed = open - this.#connections.size;
    if (endedAt !== undefined && closed > 0) this.#metrics.revoked((Date.now() - endedAt) / 1000, closed);
  }

  /** A new socket passed the upgrade checks. */
  open(transport: Transport, info: UpgradeInfo): Connection {
    const connection = new Connection(
      transport,
      info.ip,
      info.userAgent,
      this.#connectionShared,
    );
    this.#connections.add(connection);
    if (info.subprotocol !== SUBPROTOCOL) {
      connection.close(CloseCode.SubprotocolNotAcceptable, CloseReason.subprotocol);
      return connection;
    }
    if (info.cookieHeader !== undefined) {
      connection.cookieAuth = this.authenticator.byCookie(info.cookieHeader).catch((error: unknown) => {
        this.log.warn({ err: error }, 'could not resolve the socket cookie; treating it as anonymous');
        return undefined;
      });
    }
    const deadline = Date.now() + this.limits.initTimeoutMs;
    connection.initDeadline = deadline;
    this.#awaitingInit.add(connection);
    this.#initTimer.armFor(deadline);
    return connection;
  }

  /** Calls `listener` with every revocation this engine applies (bus or local), until the returned function is called. */
  onRevoked(listener: (sessionIds: readonly string[], reason: string) => void): () => void {
    this.#revokedListeners.add(listener);
    return () => this.#revokedListeners.delete(listener);
  }

  /**
   * An SSE stream, authenticated by its HTTP request (cookie or ticket, checked by the
   * caller since `checkedSince`): a connection in the `ready` state at once, counted,
   * capped and watched as a socket is (per-user cap, revocation, expiry, slow consumer,
   * the output budget). Undefined when it was refused (the transport was closed: 4429
   * past the per-user cap, 4401 for a session revoked meanwhile).
   */
  async openStream(
    transport: Transport,
    client: { readonly ip: string; readonly userAgent: string | undefined },
    session: GatewaySession | undefined,
    checkedSince: number,
  ): Promise<Connection | undefined> {
    const connection = new Connection(
      transport,
      client.ip,
      client.userAgent,
      this.#connectionShared,
    );
    this.#connections.add(connection);
    connection.carrier = 'sse';
    connection.state = 'initialising';
    if (session !== undefined && !this.admitUser(connection, session, checkedSince)) {
      connection.close(CloseCode.TooManyRequests, CloseReason.tooManyConnections);
      return undefined;
    }
    if (!connection.isOpen) return undefined; // revoked since its check began
    await this.setContext(connection);
    if (!connection.isOpen) return undefined;
    connection.state = 'ready';
    return connection;
  }

  /** Runs one operation on a stream's connection, as a socket's `subscribe` message (its failures close it as they close a socket). */
  runOperation(connection: Connection, id: string, payload: SubscribePayload): Promise<void> {
    return this.#dispatch(connection, { type: 'subscribe', id, payload }).catch((error: unknown) => this.#failed(connection, error, 'subscribe'));
  }

  /** Stops one operation of a stream's connection, as a socket's `complete` message. */
  completeOperation(connection: Connection, id: string): void {
    handleComplete(this, connection, id);
  }

  /** The payload JSON `group` gets for a logged event (`data`, as published): a resuming SSE stream's replay. */
  eventPayload(group: Group, data: string): string | Promise<string> {
    return this.#fanout.payloadFor(group, JSON.parse(data));
  }

  /** One text frame from the client: handled now, or in a later turn when this one is spent (see message-slicer.ts). */
  receive(connection: Connection, text: string): void {
    this.#slicer.push(connection, text);
  }

  #receiveNow(connection: Connection, text: string): void {
    if (!connection.isOpen) return;
    if (!connection.takeMessageToken(Date.now())) {
      connection.close(CloseCode.TooManyRequests, CloseReason.tooManyMessages);
      return;
    }
    let message: ClientMessage;
    try {
      message = parseClientMessage(text);
    } catch (error) {
      const detail = error instanceof ProtocolError ? error.message : 'unreadable';
      connection.close(CloseCode.BadRequest, `${CloseReason.invalidMessage}: ${detail}`);
      return;
    }
    this.#dispatch(connection, message).catch((error: unknown) => this.#failed(connection, error, message.type));
  }

  #failed(connection: Connection, error: unknown, type: string): void {
    // The store or Redis being down is not the client's fault and passes: 1013
    // tells clients to retry (graphql-ws gives up after 4500).
    if (isStoreUnavailable(error)) {
      this.log.warn({ err: error, type }, 'socket message could not be handled: a backing service is unavailable');
      connection.close(CloseCode.TryAgainLater, CloseReason.unavailable);
      return;
    }
    this.log.error({ err: error, type }, 'socket message handling failed');
    connection.close(CloseCode.InternalServerError, CloseReason.internal);
  }

  async #dispatch(connection: Connection, message: ClientMessage): Promise<void> {
    switch (message.type) {
      case 'connection_init':
        await handleConnectionInit(this, connection, message);
        return;
      case 'subscribe':
        await handleSubscribe(this, connection, message);
        return;
      case 'complete':
        handleComplete(this, connection, message.id);
        return;
      case 'ping':
        handlePing(connection);
        return;
      case 'pong':
        return;
    }
  }

  /**
   * Admits an authenticated connection unless its user is at the cap (false). A session
   * revoked since `checkedSince` (when its check in the store began) closes the
   * connection with 4401 instead: the caller looks at `connection.isOpen`.
   */
  admitUser(connection: Connection, session: GatewaySession, checkedSince?: number): boolean {
    const userId = session.userId;
    const count = this.#connectionsPerUser.get(userId) ?? 0;
    if (count >= this.limits.maxConnectionsPerUser) return false;
    this.#connectionsPerUser.set(userId, count + 1);
    connection.session = session;
    this.#watch.add(connection, checkedSince);
    return true;
  }

  /** Gives an acknowledged connection the context its subscriptions run with (the app's context function). */
  async setContext(connection: Connection): Promise<void> {
    connection.context = await this.#context({
      session: connection.session,
      // Its own small object, not the connection: a fan-out group keeps the context
      // of its first subscriber, which must not keep a closed socket alive.
      client: { ip: connection.ip, userAgent: connection.userAgent },
      transport: connection.carrier,
    });
  }

  /**
   * The context for a query or mutation over the socket: built afresh with the
   * session as the session source answers now. Undefined (and the socket closed
   * with 4401) when the session is over.
   */
  async currentContext(connection: Connection): Promise<{ readonly value: unknown } | undefined> {
    if (connection.state !== 'ready') return undefined;
    const session = connection.session;
    if (session === undefined) return { value: connection.context };
    const check = await this.#sessions.check(session.id);
    if (check.status === 'live') {
      const value = await this.#context({ session: check.session, client: { ip: connection.ip, userAgent: connection.userAgent }, transport: connection.carrier });
      return { value };
    }
    connection.close(CloseCode.Unauthorized, check.status === 'expired' ? CloseReason.sessionExpired : CloseReason.sessionEnded);
    return undefined;
  }

  /**
   * The context shared-scope (`global`) groups execute with: the context function's
   * answer for no session and no client, never one subscriber's. Built once; a value
   * when ready, else the promise of it.
   */
  sharedContext(): { value: unknown } | Promise<unknown> {
    const made = this.#sharedContext;
    if (made !== undefined) return made;
    let result: unknown;
    try {
      result = this.#context({ session: undefined, client: undefined, transport: 'socket' });
    } catch (error) {
      return Promise.reject(error);
    }
    if (!(result instanceof Promise)) return (this.#sharedContext = { value: result });
    const pending = result.then(
      (value: unknown) => {
        this.#sharedContext = { value };
        return value;
      },
      (error: unknown) => {
        this.#sharedContext = undefined; // asked again next time
        throw error;
      },
    );
    this.#sharedContext = pending;
    return pending;
  }

  /** A standard subscription of this Subscription field started (+1) or stopped (-1): counted for the gauges. */
  countStream(field: string, delta: 1 | -1): void {
    const count = (this.#streamsByField.get(field) ?? 0) + delta;
    if (count > 0) this.#streamsByField.set(field, count);
    else this.#streamsByField.delete(field);
  }

  /** Stops one operation of a connection: a fan-out subscriber leaves its group, a stream's iterator is returned. */
  stopOperation(operation: Operation): void {
    if (operation === 'pending') return;
    if ('kind' in operation) operation.stop();
    else this.unsubscribe(operation);
  }

    subscribe(topic: string, key: string, spec: GroupSpec, subscriber: Subscriber): void {
    if (this.#registry.add(topic, key, spec, subscriber)) {
      // On a bus with subscribePrefix, heard already.
      if (this.#stopAllTopics === undefined) this.#listen(topic);
      this.#topicWatcher?.add(topic);
    }
  }

  /** Subscribes to the topic's channel on the bus (its first local subscriber came). */
  #listen(topic: string): void {
    if (this.#bus.unsubscribe !== undefined) {
      this.#bus.subscribe(flatString(Channels.topic(topic)), this.#onTopicMessage);
    } else {
      this.#topicListeners.set(
        topic,
        this.#bus.subscribe(Channels.topic(topic), (message) => this.#fanout.deliver(topic, message)),
      );
    }
  }

  /** Unsubscribes from the topic's channel (its last local subscriber left). */
  #stopListening(topic: string): void {
    if (this.#bus.unsubscribe !== undefined) {
      this.#bus.unsubscribe(Channels.topic(topic), this.#onTopicMessage);
    } else {
      this.#topicListeners.get(topic)?.();
      this.#topicListeners.delete(topic);
    }
  }

  unsubscribe(subscriber: Subscriber): void {
    // Released once: a subscriber is in a group until its first removal.
    const held = subscriber.group === undefined ? undefined : subscriber.document;
    const emptied = this.#registry.remove(subscriber);
    held?.release();
    if (emptied === undefined) return;
    if (this.#stopAllTopics === undefined) this.#stopListening(emptied);
    this.#topicWatcher?.remove(emptied);
  }

  /**
   * Delivers `message` (JSON of the event) to this node's subscribers of `topic`, exactly as a
   * bus message for the topic is delivered; nothing when it has none. For events derived on
   * every node rather than carried by the bus (the user-count worker's values).
   */
  deliverLocal(topic: string, message: string): void {
    this.#fanout.deliver(topic, message);
  }

  /** Topics with at least one local subscriber. */
  activeTopics(): IterableIterator<string> {
    return this.#registry.topics();
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  /**
   * Every open connection (sockets and SSE streams; a closed one leaves at once). For a
   * transport's own sweeps: the ws adapter's keep-alive finds its sockets here rather than
   * keeping a collection of them.
   */
  connections(): IterableIterator<Connection> {
    return this.#connections.values();
  }

  /** The metrics gauges, computed when scraped: O(users + fan-out groups), nothing on the hot path. */
  gauges(): GatewayGauges {
    let authenticatedSockets = 0;
    for (const count of this.#connectionsPerUser.values()) authenticatedSockets += count;
    let fanoutGroups = 0;
    const subscriptionsByField = new Map<string, number>();
    for (const group of this.#registry.allGroups()) {
      fanoutGroups += 1;
      const field = this.#subscriptionField(group.document, group.operationName);
      subscriptionsByField.set(field, (subscriptionsByField.get(field) ?? 0) + memberCount(group));
    }
    for (const [field, count] of this.#streamsByField) subscriptionsByField.set(field, (subscriptionsByField.get(field) ?? 0) + count);
    return { sockets: this.#connections.size, authenticatedSockets, fanoutGroups, topics: this.#registry.topicCount, subscriptionsByField };
  }

  #subscriptionField(document: DocumentNode, operationName: string | undefined): string {
    let field = operationName === undefined ? this.#fieldOf.get(document) : undefined;
    if (field === undefined) {
      const selection = getOperationAST(document, operationName)?.selectionSet.selections[0];
      const name = selection?.kind === 'Field' ? selection.name.value : undefined;
      // Bounded by the schema: a label value is always one of the subscription fields.
      field = name !== undefined && this.schema.getSubscriptionType()?.getFields()[name] !== undefined ? name : 'other';
      // A document with several named operations may answer differently per name: cache only the unnamed case.
      if (operationName === undefined) this.#fieldOf.set(document, field);
    }
    return field;
  }

  /** Unread output across all sockets, as last measured (0 without a budget). */
  get unreadOutputBytes(): number {
    return this.#outputBudget?.totalBytes ?? 0;
  }

  /** Closes every socket with 1001 (clients reconnect, elsewhere if need be) and stops listening. */
  shutdown(): void {
    for (const connection of [...this.#connections]) connection.close(CloseCode.GoingAway, CloseReason.goingAway);
    this.#initTimer.cancel();
    this.#outputBudget?.stop();
    this.#watch.stop();
    this.#stopRevocations();
    this.#stopReconnects();
    this.#stopAllTopics?.();
  }

  #release(connection: Connection): void {
    this.#connections.delete(connection);
    this.#awaitingInit.delete(connection);
    const operations = [...connection.operations.values()];
    connection.operations.clear();
    for (const operation of operations) this.stopOperation(operation);
    const session = connection.session;
    if (session !== undefined) {
      this.#watch.remove(connection);
      const count = (this.#connectionsPerUser.get(session.userId) ?? 1) - 1;
      if (count <= 0) this.#connectionsPerUser.delete(session.userId);
      else this.#connectionsPerUser.set(session.userId, count);
    }
  }

  /** The client sent connection_init: its init deadline no longer applies. */
  initReceived(connection: Connection): void {
    this.#awaitingInit.delete(connection);
    connection.initDeadline = undefined;
  }

  #expireInits(): void {
    const now = Date.now();
    for (const connection of this.#awaitingInit) {
      const deadline = connection.initDeadline ?? 0;
      if (deadline > now) {
        this.#initTimer.armFor(deadline);
        return;
      }
      this.#awaitingInit.delete(connection);
      // Only a client that sent no connection_init in time (PROTOCOL.md); one whose credential
      // is still being checked did send it, and a slow store must not look like its fault.
      if (connection.state === 'awaiting-init') {
        connection.close(CloseCode.ConnectionInitialisationTimeout, CloseReason.initTimeout);
      }
    }
  }

}
