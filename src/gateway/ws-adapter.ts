/**
 * The thin adapter between `ws` and the protocol engine: runs the upgrade
 * checks on Node's `upgrade` event, hands accepted sockets to the engine as
 * Transports, and pings every socket from one shared interval (keep-alive),
 * terminating those that did not answer the previous ping.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import type { Connection } from './connection.js';
import type { Engine } from './engine.js';
import type { NextPayload, NextWriter } from './fanout/next-payload.js';
import { SUBPROTOCOL } from './protocol/messages.js';
import { checkUpgrade } from './upgrade/upgrade-checks.js';
import { checkWs, writeNext } from './ws-next-writer.js';
import type { Transport } from './transport.js';
import type { OriginPolicy } from '../security/origin-policy.js';
import { type Metrics, NO_METRICS } from '../metrics/metrics.js';
import { scrubHeader } from '../logging/scrub.js';

export interface WsAdapterOptions {
  readonly server: Server;
  readonly engine: Engine;
  readonly origins: OriginPolicy;
  readonly maxMessageBytes: number;
  readonly maxConnectionsPerAddress: number;
  readonly keepAliveMs: number;
  /** The path upgrades are served on; any other is refused with 404. '/graphql' by default. */
  readonly path?: string;
  readonly log: {
    info(object: object, message: string): void;
    warn(object: object, message: string): void;
  };
  readonly safeUrl: (url: string) => string;
  /** The client's address (behind trusted proxies, as HTTP sees it). */
  readonly clientAddress: (request: IncomingMessage) => string;
  /** Open connections per address, shared with SSE streams (both count against maxConnectionsPerAddress). Default: the adapter's own. */
  readonly perAddress?: Map<string, number>;
  /** Counts closes and upgrade refusals; the no-op by default. */
  readonly metrics?: Metrics;
}

/**
 * Answers a refused upgrade with a plain HTTP response and closes the TCP connection:
 * destroyed once the answer is written, as Node's HTTP server does after `Connection: close`,
 * so that a client that never closes its side cannot keep the socket open.
 */
function refuse(socket: Duplex, status: number, reason: string): void {
  const body = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  if (socket.writableFinished) socket.destroy();
  else socket.once('finish', destroyWhenWritten);
}

/**
 * A `ws` socket as the engine's Transport. Control frames go through `ws`;
 * fan-out `next` frames are written straight to the TCP socket that `ws`
 * writes to, as a small head and the payload shared by all subscribers
 * (ws-next-writer.ts says why that keeps their order with ws's own frames).
 */
class WsTransport implements Transport, NextWriter {
  /** What the server closed with, if it closed first (the 'close' event reports the peer's echo). */
  closedWith: { code: number; reason: string } | undefined;

  constructor(
    readonly ws: WebSocket,
    private readonly socket: Duplex,
  ) {}

  send(frame: string): void {
    this.ws.send(frame);
  }

  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  sendNext(prefix: string, payload: NextPayload): void {
    // ws.send drops data once the socket is closing; so does this.
    if (this.ws.readyState !== WebSocket.OPEN) return;
    writeNext(this.ws, this.socket, prefix, payload);
  }

  close(code: number, reason: string): void {
    this.closedWith ??= { code, reason };
    this.ws.close(code, reason);
    // ws keeps a socket whose peer does not answer the close frame for 30 s, and with it
    // everything still queued for it. A peer that is not reading never will: once
    // CLOSE_GRACE_MS pass with output still unread, the socket is cut and the memory freed.
    // A peer that reads gets its data and the close frame, and the close completes as usual.
    if (this.ws.bufferedAmount > 0) setTimeout(cutIfStillUnread, CLOSE_GRACE_MS, this.ws).unref();
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }
}

/** The logged reason of a socket terminated for missing a pong (no close frame is sent: the peer sees 1006). */
export const KEEPALIVE_TIMEOUT = 'keep-alive timeout: no pong';
/** How long a closing socket may keep unread output before it is cut (terminated). */
export const CLOSE_GRACE_MS = 1000;

function cutIfStillUnread(ws: WebSocket): void {
  if (ws.readyState !== WebSocket.CLOSED && ws.bufferedAmount > 0) ws.terminate();
}

function destroyOnError(this: Duplex): void {
  this.destroy();
}

function destroyWhenWritten(this: Duplex): void {
  this.destroy();
}

/** A socket of the adapter: what `ws` creates for it (see AdapterSocket in the adapter's constructor). */
interface AdapterSocketFields {
  /** Its connection, from the upgrade until its 'close' event; found here, not in a Map of sockets. */
  connection: Connection | undefined;
}

export class WsAdapter {
  readonly #wss: WebSocketServer;
  // The sockets this adapter accepted and has not seen close. They are not kept in a collection
  // of their own (a Map entry per socket): the sweeps find the open ones among the engine's
  // connections, and only those closing (close frame sent, no 'close' event yet) are held here.
  #open = 0;
  readonly #closingSockets = new Set<WebSocket>();
  readonly #perAddress: Map<string, number>;
  readonly #keepAlive: NodeJS.Timeout | undefined;
  readonly #onUpgrade: (request: IncomingMessage, socket: Duplex, head: Buffer) => void;
  #closing = false;

  constructor(private readonly options: WsAdapterOptions) {
    this.#perAddress = options.perAddress ?? new Map();
    const engine = options.engine;
    const closing = this.#closingSockets;
    const closed = (ws: AdapterSocketFields, code: number, reason: Buffer) => this.#closed(ws, code, reason);
    /**
     * The adapter's sockets take their events without a listener each: ws keeps a socket's
     * listeners in a dictionary-mode object, and four of them (message, pong, error, close)
     * cost ~250 bytes per socket, more than a tenth of what a subscribed socket holds.
     * `emit` hands the four straight to the adapter, then to any listener added the usual way.
     */
    class AdapterSocket extends WebSocket implements AdapterSocketFields {
      connection: Connection | undefined = undefined;

      override emit(event: string | symbol, a?: unknown, b?: unknown): boolean {
        switch (event) {
          case 'message': {
            const connection = this.connection;
            // Text and binary frames alike are read as UTF-8 JSON.
            if (connection !== undefined) engine.receive(connection, (a as Buffer).toString());
            break;
          }
          case 'pong': {
            const connection = this.connection;
            if (connection !== undefined) connection.awaitingPong = false;
            break;
          }
          case 'close':
            closing.delete(this);
            closed(this, a as number, b as Buffer);
            break;
          case 'error':
            // ws closes the socket itself on a protocol error (e.g. 1009 for an oversized message); 'close' follows.
            if (this.listenerCount('error') === 0) return true;
            break;
        }
        return super.emit(event, a, b);
      }

      // Whoever closes it (the engine, or ws answering the peer's close frame), it is closing
      // until its 'close' event: held so that close() can still cut it after its grace period.
      override close(code?: number, data?: string | Buffer): void {
        if (this.readyState !== WebSocket.CLOSED) closing.add(this);
        super.close(code, data);
      }
    }
    this.#wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      clientTracking: false,
      maxPayload: options.maxMessageBytes,
      WebSocket: AdapterSocket,
      // Picks graphql-transport-ws when offered; otherwise echoes the first offer so that the
      // handshake completes and the engine's 4406 reaches the client (answering no subprotocol
      // to a client that offered one makes it fail the handshake, and it never sees a code).
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : (protocols.values().next().value ?? false)),
    });
    // The writer of next frames needs the tested ws and no compression: a clear error now, not corrupt frames later.
    checkWs(this.#wss);
    this.#onUpgrade = (request, socket, head) => this.#upgrade(request, socket, head);
    options.server.on('upgrade', this.#onUpgrade);
    if (options.keepAliveMs > 0) {
      this.#keepAlive = setInterval(() => this.#ping(), options.keepAliveMs);
      this.#keepAlive.unref();
    }
  }

  #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', destroyOnError);
    const ip = this.options.clientAddress(request);
    if (this.#closing) {
      refuse(socket, 503, 'server shutting down');
      return;
    }
    const verdict = checkUpgrade(
      { url: request.url ?? '/', origin: request.headers.origin, connectionsFromAddress: this.#perAddress.get(ip) ?? 0 },
      this.options.origins,
      this.options.maxConnectionsPerAddress,
      this.options.path,
    );
    if (!verdict.ok) {
      this.options.log.info(
        { ip, url: this.options.safeUrl(request.url ?? '/'), origin: scrubHeader(request.headers.origin), status: verdict.status, reason: verdict.reason },
        'websocket upgrade refused',
      );
      this.options.metrics?.upgradeRefused(verdict.status);
      refuse(socket, verdict.status, verdict.reason);
      return;
    }
    // The cookie is read only from an allowed Origin: never a cross-site page's (CSWSH), never a non-browser's.
    const cookieHeader = verdict.originAllowed ? request.headers.cookie : undefined;
    const userAgent = request.headers['user-agent'];
    // Counted once the socket exists: ws answers a bad handshake (key, version) itself and
    // never calls back, and such a request must not hold one of the address's slots forever.
    // Without verifyClient, handleUpgrade calls back synchronously, so the check above still holds.
    this.#wss.handleUpgrade(request, socket, head, (ws) => this.#accept(ws as WebSocket & AdapterSocketFields, socket, ip, userAgent, cookieHeader));
  }

  #accept(ws: WebSocket & AdapterSocketFields, socket: Duplex, ip: string, userAgent: string | undefined, cookieHeader: string | undefined): void {
    // Reading the client's address made Node cache it on the socket (`_peername`, an object of its
    // own for the socket's life); the connection keeps the address, and Node reads it again if
    // anything asks (net.Socket#_getpeername recomputes a missing cache while the socket is open).
    if ((socket as { _peername?: unknown })._peername !== undefined) (socket as { _peername?: unknown })._peername = undefined;
    this.#perAddress.set(ip, (this.#perAddress.get(ip) ?? 0) + 1);
    const transport = new WsTransport(ws, socket);
    this.#open++;
    // ws emits 'close' in a later turn, so even a socket the engine closes at once (a wrong subprotocol) finds its connection.
    ws.connection = this.options.engine.open(transport, { ip, userAgent, subprotocol: ws.protocol, cookieHeader });
    // Its events reach the adapter through AdapterSocket.emit.
  }

  #closed(ws: AdapterSocketFields, code: number, reason: Buffer): void {
    const connection = ws.connection;
    if (connection === undefined) return;
    this.#logClose(connection, code, reason);
    ws.connection = undefined;
    this.#open--;
    const count = (this.#perAddress.get(connection.ip) ?? 1) - 1;
    if (count <= 0) this.#perAddress.delete(connection.ip);
    else this.#perAddress.set(connection.ip, count);
    connection.released();
  }

  /** One log line and one count per close: the server's code and reason when it closed first, else the peer's. */
  #logClose(connection: Connection, peerCode: number, peerReason: Buffer): void {
    const sent = (connection.transport as WsTransport).closedWith;
    const code = sent?.code ?? peerCode;
    const reason = sent?.reason ?? peerReason.toString();
    (this.options.metrics ?? NO_METRICS).socketClosed(code, reason);
    this.options.log.info({ ip: connection.ip, code, reason, by: sent === undefined ? 'client' : 'server', authenticated: connection.session !== undefined }, 'socket closed');
  }

  /** This adapter's sockets not yet closed: among the engine's connections, those it carries. */
  *#transports(): IterableIterator<[WsTransport, Connection]> {
    for (const connection of this.options.engine.connections()) {
      const transport = connection.transport;
      if (transport instanceof WsTransport && (transport.ws as WebSocket & AdapterSocketFields).connection === connection) yield [transport, connection];
    }
  }

  #ping(): void {
    for (const [transport, connection] of this.#transports()) {
      if (connection.awaitingPong) {
        transport.closedWith ??= { code: 1006, reason: KEEPALIVE_TIMEOUT };
        transport.ws.terminate();
        continue;
      }
      connection.awaitingPong = true;
      if (transport.ws.readyState === WebSocket.OPEN) transport.ws.ping();
    }
  }

  /** Stops accepting upgrades and closes every socket with 1001; resolves when they are gone (or after `graceMs`). */
  async close(graceMs = 2000): Promise<void> {
    this.#closing = true;
    if (this.#keepAlive !== undefined) clearInterval(this.#keepAlive);
    // The upgrade listener stays: without one, Node would pass upgrades on as plain requests.
    this.options.engine.shutdown();
    const deadline = Date.now() + graceMs;
    while (this.#open > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    for (const [transport] of [...this.#transports()]) transport.ws.terminate();
    for (const ws of [...this.#closingSockets]) ws.terminate();
    this.#wss.close();
  }
}
