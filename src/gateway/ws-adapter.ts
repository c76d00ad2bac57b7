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
import { SUBPROTOCOL } from './protocol/messages.js';
import { checkUpgrade } from './upgrade/upgrade-checks.js';
import type { OriginPolicy } from '../security/origin-policy.js';

export interface WsAdapterOptions {
  readonly server: Server;
  readonly engine: Engine;
  readonly origins: OriginPolicy;
  readonly maxMessageBytes: number;
  readonly maxConnectionsPerAddress: number;
  readonly keepAliveMs: number;
  /** Parses a Cookie header and returns the session secret in it, if any. */
  readonly sessionSecretFromCookie: (cookieHeader: string) => string | undefined;
  readonly log: {
    info(object: object, message: string): void;
    warn(object: object, message: string): void;
  };
  readonly safeUrl: (url: string) => string;
  /** The client's address (behind trusted proxies, as HTTP sees it). */
  readonly clientAddress: (request: IncomingMessage) => string;
}

/** Answers a refused upgrade with a plain HTTP response and closes the TCP connection. */
function refuse(socket: Duplex, status: number, reason: string): void {
  const body = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

export class WsAdapter {
  readonly #wss: WebSocketServer;
  readonly #sockets = new Map<WebSocket, Connection>();
  readonly #perAddress = new Map<string, number>();
  readonly #keepAlive: NodeJS.Timeout | undefined;
  readonly #onUpgrade: (request: IncomingMessage, socket: Duplex, head: Buffer) => void;
  #closing = false;

  constructor(private readonly options: WsAdapterOptions) {
    this.#wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      clientTracking: false,
      maxPayload: options.maxMessageBytes,
      // Picks graphql-transport-ws when offered; otherwise echoes the first offer so that the
      // handshake completes and the engine's 4406 reaches the client (answering no subprotocol
      // to a client that offered one makes it fail the handshake, and it never sees a code).
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : (protocols.values().next().value ?? false)),
    });
    this.#onUpgrade = (request, socket, head) => this.#upgrade(request, socket, head);
    options.server.on('upgrade', this.#onUpgrade);
    if (options.keepAliveMs > 0) {
      this.#keepAlive = setInterval(() => this.#ping(), options.keepAliveMs);
      this.#keepAlive.unref();
    }
  }

  get socketCount(): number {
    return this.#sockets.size;
  }

  #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const ip = this.options.clientAddress(request);
    if (this.#closing) {
      refuse(socket, 503, 'server shutting down');
      return;
    }
    const verdict = checkUpgrade(
      { url: request.url ?? '/', origin: request.headers.origin, connectionsFromAddress: this.#perAddress.get(ip) ?? 0 },
      this.options.origins,
      this.options.maxConnectionsPerAddress,
    );
    if (!verdict.ok) {
      this.options.log.info(
        { ip, url: this.options.safeUrl(request.url ?? '/'), origin: request.headers.origin, status: verdict.status, reason: verdict.reason },
        'websocket upgrade refused',
      );
      refuse(socket, verdict.status, verdict.reason);
      return;
    }
    const cookieHeader = request.headers.cookie;
    const cookieSecret =
      verdict.originAllowed && cookieHeader !== undefined ? this.options.sessionSecretFromCookie(cookieHeader) : undefined;
    const userAgent = request.headers['user-agent'];
    // Counted once the socket exists: ws answers a bad handshake (key, version) itself and
    // never calls back, and such a request must not hold one of the address's slots forever.
    // Without verifyClient, handleUpgrade calls back synchronously, so the check above still holds.
    this.#wss.handleUpgrade(request, socket, head, (ws) => this.#accept(ws, ip, userAgent, cookieSecret));
  }

  #accept(ws: WebSocket, ip: string, userAgent: string | undefined, cookieSecret: string | undefined): void {
    this.#perAddress.set(ip, (this.#perAddress.get(ip) ?? 0) + 1);
    const connection = this.options.engine.open(ws, { ip, userAgent, subprotocol: ws.protocol, cookieSecret });
    this.#sockets.set(ws, connection);
    ws.on('message', (data: Buffer, isBinary) => {
      this.options.engine.receive(connection, isBinary ? data.toString('utf8') : data.toString());
    });
    ws.on('pong', () => {
      connection.awaitingPong = false;
    });
    ws.on('error', () => {
      // ws closes the socket itself (e.g. 1009 for an oversized message); 'close' follows.
    });
    ws.once('close', () => {
      this.#sockets.delete(ws);
      const count = (this.#perAddress.get(ip) ?? 1) - 1;
      if (count <= 0) this.#perAddress.delete(ip);
      else this.#perAddress.set(ip, count);
      connection.released();
    });
  }

  #ping(): void {
    for (const [ws, connection] of this.#sockets) {
      if (connection.awaitingPong) {
        ws.terminate();
        continue;
      }
      connection.awaitingPong = true;
      if (ws.readyState === WebSocket.OPEN) ws.ping();
    }
  }

  /** Stops accepting upgrades and closes every socket with 1001; resolves when they are gone (or after `graceMs`). */
  async close(graceMs = 2000): Promise<void> {
    this.#closing = true;
    if (this.#keepAlive !== undefined) clearInterval(this.#keepAlive);
    // The upgrade listener stays: without one, Node would pass upgrades on as plain requests.
    this.options.engine.shutdown();
    const deadline = Date.now() + graceMs;
    while (this.#sockets.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    for (const ws of this.#sockets.keys()) ws.terminate();
    this.#wss.close();
  }
}
