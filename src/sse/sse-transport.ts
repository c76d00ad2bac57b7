/**
 * One SSE response as the engine's {@link Transport}: the engine writes
 * graphql-transport-ws frames for the stream's operations (it knows no other
 * protocol), and this turns them into GraphQL-over-SSE events (event-stream.ts).
 * Fan-out `next` events arrive through {@link sendNext} with the group's shared
 * payload bytes and are written without a per-stream copy; the few frames that
 * come as strings (a query's result, a standard subscription's events, errors,
 * `complete`) are read back by their fixed shapes (protocol/frames.ts).
 *
 * A close from the engine becomes the end the cores define: 4401 (session
 * ended, expired, user gone) writes each operation's final `next` with the
 * reason and its `complete`, then ends the response (the client does not
 * reconnect); anything else (shutdown, slow consumer, output budget) just ends
 * it, so the client reconnects. A close before the stream started (per-user cap,
 * a session revoked while it was checked) is an HTTP error answer instead.
 */
import type { ServerResponse } from 'node:http';
import type { NextPayload, NextWriter } from '../gateway/fanout/next-payload.js';
import { CloseCode } from '../gateway/protocol/close-codes.js';
import { nextPrefix } from '../gateway/protocol/frames.js';
import type { Transport } from '../gateway/transport.js';
import {
  completeEvent,
  EVENT_STREAM_HEADERS,
  finalEvents,
  KEEP_ALIVE,
  nextEvent,
  type OperationHead,
  operationHead,
  type SseNext,
  sseNextOf,
  writeSseNext,
} from './event-stream.js';

/** The operation id a distinct-connections stream's one operation runs under in the engine. */
export const DISTINCT_OPERATION = 'sse';

// A `next` frame's fixed start (frames.ts nextPrefix): the id as JSON, then the payload up to the closing `}`.
const NEXT_FRAME = /^\{"id":("(?:[^"\\]|\\.)*"),"type":"next","payload":/;


/** A status answer for a stream refused before it started, by the engine's close code. */
function refusalStatus(code: number): number {
  if (code === CloseCode.TooManyRequests) return 429;
  if (code === CloseCode.Unauthorized) return 401;
  return 503;
}

export class SseTransport implements Transport, NextWriter {
  readonly #response: ServerResponse;
  readonly #single: boolean;
  readonly #operationEnded: (operationId: string) => void;
  /** Called once when the response is over (ended by either side). */
  onClosed: (() => void) | undefined;
  // Single connection: each operation's head, by its `next` prefix (what sendNext is handed).
  readonly #heads = new Map<string, OperationHead>();
  readonly #operations = new Set<string>();
  #started = false;
  #ended = false;
  // While a resuming stream replays the log, live fan-out events wait here (in order).
  #held: SseNext[] | undefined;

  /** @param operationEnded told when an operation ends on the server's side (completed, or refused with an error) */
  constructor(response: ServerResponse, mode: 'distinct' | 'single', operationEnded: (operationId: string) => void = () => {}) {
    this.#response = response;
    this.#single = mode === 'single';
    this.#operationEnded = operationEnded;
    response.on('close', () => this.#closed());
  }

  get isEnded(): boolean {
    return this.#ended;
  }

  /** The response's unread output, as the slow-consumer check and the output budget count it. */
  get bufferedAmount(): number {
    return this.#response.writableLength;
  }

  /** 200, the event-stream headers and a first comment (some browsers report the stream open only then). */
  start(): void {
    if (this.#started || this.#ended) return;
    this.#started = true;
    // HTTP/1.1: the body ends with the connection (a stream is never reused for another request),
    // so no chunked encoding: each event is one write of its bytes, with no size line and CRLFs
    // around it. HTTP/2 frames the body itself and ignores this.
    this.#response.useChunkedEncodingByDefault = false;
    this.#response.writeHead(200, EVENT_STREAM_HEADERS);
    this.#response.socket?.setNoDelay(true);
    this.#response.write(KEEP_ALIVE);
  }

  keepAlive(): void {
    if (this.#started && !this.#ended) this.#response.write(KEEP_ALIVE);
  }

  /** A single-connection operation starts: its head is built once for all its events. */
  addOperation(operationId: string): void {
    this.#operations.add(operationId);
    if (this.#single) this.#heads.set(nextPrefix(operationId), operationHead(operationId));
  }

  /** Holds live fan-out events back while the log is replayed ({@link release} sends them). */
  hold(): void {
    this.#held ??= [];
  }

  /** Writes raw event bytes (a replayed event, the events-missed signal). */
  write(bytes: Buffer): void {
    if (this.#started && !this.#ended) this.#response.write(bytes);
  }

  /** Ends holding: writes the held events that `keep` accepts (those after the replay), in order. */
  release(keep: (next: SseNext) => boolean): void {
    const held = this.#held;
    this.#held = undefined;
    for (const next of held ?? []) if (keep(next)) this.#writeNext(next, undefined);
  }

  sendNext(prefix: string, payload: NextPayload): void {
    const next = sseNextOf(payload, payload.eventId);
    if (this.#held !== undefined) {
      this.#held.push(next);
      return;
    }
    this.#writeNext(next, prefix);
  }

  #writeNext(next: SseNext, prefix: string | undefined): void {
    if (!this.#started || this.#ended) return;
    if (!this.#single) {
      writeSseNext(this.#response, next, undefined);
      return;
    }
    // A held event (prefix undefined) only happens on a distinct stream; single streams never replay.
    const head = prefix === undefined ? undefined : this.#heads.get(prefix);
    if (head !== undefined) writeSseNext(this.#response, next, head);
  }

  send(frame: string): void {
    if (!this.#started || this.#ended) return;
    const next = NEXT_FRAME.exec(frame);
    if (next !== null) {
      const id = JSON.parse(next[1] as string) as string;
      this.#response.write(nextEvent(frame.slice(next[0].length, -1), this.#single ? id : undefined));
      return;
    }
    const message = JSON.parse(frame) as { id?: string; type: string; payload?: unknown };
    const id = message.id;
    if (id === undefined) return; // ack, pong: nothing on a stream
    if (message.type === 'error') {
      this.#response.write(nextEvent(JSON.stringify({ errors: message.payload }), this.#single ? id : undefined));
    } else if (message.type !== 'complete') {
      return;
    }
    this.#response.write(completeEvent(this.#single ? id : undefined));
    this.#ended ||= !this.#single;
    this.#operations.delete(id);
    this.#heads.delete(nextPrefix(id));
    this.#operationEnded(id);
    // A distinct stream is its one operation: it ends with it.
    if (!this.#single) this.#response.end();
  }

  close(code: number, reason: string): void {
    if (this.#ended) return;
    this.#ended = true;
    if (!this.#started) {
      if (!this.#response.headersSent) {
        const body = JSON.stringify({ errors: [{ message: reason, extensions: { code: code === CloseCode.Unauthorized ? 'UNAUTHENTICATED' : 'SERVICE_UNAVAILABLE' } }] });
        this.#response.writeHead(refusalStatus(code), { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
        this.#response.end(body);
      } else {
        this.#response.end();
      }
      return;
    }
    if (code === CloseCode.Unauthorized) {
      this.#response.end(finalEvents({ kind: 'final', reason }, this.#single ? this.#operations : undefined));
    } else {
      this.#response.end();
    }
  }

  #closed(): void {
    this.#ended = true;
    const onClosed = this.onClosed;
    this.onClosed = undefined;
    onClosed?.();
  }
}
