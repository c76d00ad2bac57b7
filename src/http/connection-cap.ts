/**
 * A cap on concurrent HTTP connections per TCP peer address, counted at the
 * server's 'connection' event, before a byte of the request is read: a client
 * holding hundreds of idle or slow connections cannot take the server's sockets
 * and memory. A connection over the cap is answered `429` and closed at once.
 *
 * A connection that becomes a WebSocket leaves this count at the upgrade: sockets
 * have their own cap (WS_MAX_CONNECTIONS_PER_IP, by client address).
 *
 * Behind a load balancer the TCP peer is the balancer, not the client, and one
 * balancer carries everyone's connections: a peer that TRUST_PROXY trusts is
 * therefore not capped here (limit connections per client at the balancer).
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** Counts per key, with a cap. Pure. */
export class AddressCounter {
  readonly #counts = new Map<string, number>();

  /** Counts one more for `key` unless it already has `max`; true when counted. */
  tryAdd(key: string, max: number): boolean {
    const count = this.#counts.get(key) ?? 0;
    if (count >= max) return false;
    this.#counts.set(key, count + 1);
    return true;
  }

  remove(key: string): void {
    const count = (this.#counts.get(key) ?? 1) - 1;
    if (count <= 0) this.#counts.delete(key);
    else this.#counts.set(key, count);
  }

  count(key: string): number {
    return this.#counts.get(key) ?? 0;
  }

  /** How many keys are counted (bounded by the open connections). */
  get size(): number {
    return this.#counts.size;
  }
}

export interface ConnectionCapOptions {
  readonly maxPerAddress: number;
  /** True for a peer that is not capped (a trusted proxy). */
  readonly exempt: (address: string) => boolean;
  /** Told of refusals, at most once per `logEveryMs`, with how many since the last time. */
  readonly onRefused: (address: string, refusedSinceLast: number) => void;
  readonly logEveryMs?: number;
}

const BODY = 'too many connections from this address\n';
const REFUSAL =
  'HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
  `Content-Length: ${Buffer.byteLength(BODY)}\r\n\r\n${BODY}`;
function ignore(): void {}

/** Installs the cap on `server`; returns the counter (for tests and metrics). */
export function capConnectionsPerAddress(server: Server, options: ConnectionCapOptions): AddressCounter {
  const counter = new AddressCounter();
  // Socket → the key it is counted under; a socket absent here is not counted.
  const counted = new Map<Socket, string>();
  const logEveryMs = options.logEveryMs ?? 10_000;
  let refused = 0;
  let loggedAt = 0;

  function release(this: Socket): void {
    const key = counted.get(this);
    if (key === undefined) return;
    counted.delete(this);
    counter.remove(key);
  }

  // Prepended, so that it runs before Node's HTTP parser is attached: a refused
  // connection gets the 429 before anything it sends is read.
  server.prependListener('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    if (options.exempt(address)) return;
    if (counter.tryAdd(address, options.maxPerAddress)) {
      counted.set(socket, address);
      socket.on('close', release);
      return;
    }
    // Written and closed at once, before Node's HTTP parser reads anything: nothing this
    // connection sends is ever parsed or run. Node writes this small answer to the kernel
    // synchronously; a client that had already sent its request may see a reset instead.
    socket.on('error', ignore);
    socket.write(REFUSAL);
    socket.destroy();
    refused++;
    const now = Date.now();
    if (now - loggedAt >= logEveryMs) {
      loggedAt = now;
      options.onRefused(address, refused);
      refused = 0;
    }
  });
  server.prependListener('upgrade', (_request, socket: Socket) => {
    release.call(socket);
  });
  return counter;
}
