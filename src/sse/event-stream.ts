/**
 * The bytes of a GraphQL-over-SSE event stream (graphql-sse's PROTOCOL.md):
 * `next` and `complete` events, keep-alive comments, and the final events that
 * say why the server ends a stream. Pure: builds Buffers, writes nothing itself
 * except through {@link writeSseNext}'s `out`.
 *
 * A fan-out event reaches many streams: its frame is built once and shared, as
 * for sockets (gateway/fanout/next-payload.ts), and the payload's UTF-8 bytes are
 * the very Buffer the socket subscribers of the same group are written
 * ({@link NextPayload.bytes}: `payload + "}"`, which is exactly the tail of a
 * single-connection event's `data: {"id":…,"payload":` + payload + `}`).
 * - distinct connections: a stream carries one operation, so its `next` event has
 *   no per-subscriber part at all; one whole frame per event, shared by every stream.
 * - single connection: the operation id (a client-made UUID) differs per stream: the
 *   operation's head, built once when it starts ({@link operationHead}), then the
 *   shared payload bytes and the shared `\n\n`; a small payload goes as one buffer
 *   instead (one write, as sockets do).
 *
 * **Why a stream ends, as graphql-sse's client (2.6, lib/client.mjs) sees it:**
 * - the response ends without `complete` while an operation runs: "Connection closed
 *   while having active streams", a NetworkError, which the client *retries* with
 *   backoff (and EventSource reconnects by itself). Right for a server shutdown or a
 *   slow consumer ({@link StreamEnd.retry}); wrong for a session that is over: the
 *   client would reconnect, without a session, up to its retry limit.
 * - an event other than `next`/`complete`: its parser throws `Invalid stream event
 *   "<name>"`, fatal (no retry) but the reason is lost, and EventSource drops it.
 * - a `next` whose payload is `{"errors":[…]}` and then `complete`: the client hands the
 *   errors to the sink (Apollo, urql and Relay report them as a GraphQL error, with the
 *   message and `extensions.code`) and completes: final, no reconnect, reason shown.
 * So a session that is over ends each operation with `next` {errors: [{message:
 * "session ended" | "session expired" | "user not found", extensions: {code:
 * "UNAUTHENTICATED"}}]} then `complete`, and the response ends ({@link finalEvents}).
 * The messages are the socket's close reasons (4401), so a client matches one set.
 */
import { CloseReason } from '../gateway/protocol/close-codes.js';
import type { NextPayload } from '../gateway/fanout/next-payload.js';

/** Headers of an event-stream response. `no-store`, as every /graphql answer: events carry account data. */
export const EVENT_STREAM_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-store',
  // nginx and similar proxies buffer responses unless told not to; a stream must flow.
  'x-accel-buffering': 'no',
};

/**
 * A comment line: sent first (graphql-sse's handler does the same, because some browsers
 * wait for a first chunk before they report the stream open) and every keep-alive interval.
 * Readers ignore it; it keeps proxies and NATs from closing an idle stream.
 */
export const KEEP_ALIVE = Buffer.from(':\n\n');

/** Payloads from this size are written as head + shared bytes; smaller ones as one whole buffer (the socket's threshold idea). */
export const SSE_SHARE_PAYLOAD_FROM = 1024;

/** Error code of the final `next` of a stream whose session is over (the registry code for "no valid session"). */
export const SESSION_OVER_CODE = 'UNAUTHENTICATED';
/** Error code of the `next` that tells a resuming client that events it missed are gone (the window was exceeded). */
export const EVENTS_MISSED_CODE = 'EVENTS_MISSED';
export const EVENTS_MISSED_MESSAGE = 'Some events since Last-Event-ID are no longer kept: refetch the current state';

/** Why the server ends a stream: `final` ends each operation with an error and `complete`; `retry` just closes (the client reconnects). */
export type StreamEnd =
  | { readonly kind: 'final'; readonly reason: string }
  | { readonly kind: 'retry'; readonly reason: string };

export const StreamEnd = {
  sessionEnded: { kind: 'final', reason: CloseReason.sessionEnded },
  sessionExpired: { kind: 'final', reason: CloseReason.sessionExpired },
  userGone: { kind: 'final', reason: CloseReason.userGone },
  /** Shutdown: close without `complete`, so that clients reconnect (to another node). */
  goingAway: { kind: 'retry', reason: CloseReason.goingAway },
  /** Slow consumer: close without `complete`; the client reconnects and may resume with Last-Event-ID. */
  slowConsumer: { kind: 'retry', reason: CloseReason.slowConsumer },
} as const satisfies Record<string, StreamEnd>;

const NEWLINES = /\r\n|\r|\n/;

/**
 * `data:` lines for `text`. JSON.stringify never writes a raw CR or LF, so this is one line;
 * a text that has one (pretty-printed JSON) is split into several `data:` lines, which
 * the reader joins with `\n` again (SSE's rule), so it still parses.
 */
export function dataLines(text: string): string {
  return NEWLINES.test(text) ? `data: ${text.split(NEWLINES).join('\ndata: ')}\n` : `data: ${text}\n`;
}

/** An `id:` line (nothing when `id` is undefined). An id never has a newline (ids are `<ms>-<seq>`); one that does is dropped. */
function idLine(id: string | undefined): string {
  return id === undefined || NEWLINES.test(id) || id.includes('\0') ? '' : `id: ${id}\n`;
}

/**
 * What a single-connection operation's `next` events start with, built once when the
 * operation starts and reused for every event: `event: next\ndata: {"id":<id>,"payload":`.
 */
export interface OperationHead {
  readonly id: string;
  readonly bytes: Buffer;
}

export function operationHead(operationId: string): OperationHead {
  return { id: operationId, bytes: Buffer.from(`event: next\ndata: {"id":${JSON.stringify(operationId)},"payload":`, 'utf8') };
}

const END = Buffer.from('\n\n');

/**
 * One `next` event's bytes for every stream it goes to (see the file comment). Built
 * from a socket group's {@link NextPayload} by {@link sseNextOf}, so that a group's
 * payload is serialized and encoded once for sockets and streams together.
 */
export class SseNext {
  readonly #payload: NextPayload;
  readonly #id: string | undefined;
  readonly #oneLine: boolean;
  #distinct: Buffer | undefined;

  constructor(payload: NextPayload, eventId: string | undefined) {
    this.#payload = payload;
    this.#id = eventId;
    this.#oneLine = !NEWLINES.test(payload.tail);
  }

  /** The payload JSON (the ExecutionResult). */
  get json(): string {
    return this.#payload.tail.slice(0, -1);
  }

  /** The event id (`id:` of a distinct stream's event), for Last-Event-ID. */
  get id(): string | undefined {
    return this.#id;
  }

  /** The whole event for a distinct-connections stream: `id:`, `event: next`, `data: <payload>`. Built once, shared by every stream. */
  get distinct(): Buffer {
    return (this.#distinct ??= Buffer.from(`${idLine(this.#id)}event: next\n${dataLines(this.json)}\n`, 'utf8'));
  }

  /**
   * The parts of the event for the single-connection operation `head` starts: for a
   * large payload the operation's own head, the payload's shared bytes and a shared
   * `\n\n` (no allocation per stream); for a small one a single buffer (one write).
   * Single-connection events carry no `id:` (see resumption in docs/sse-design.md).
   */
  forOperation(head: OperationHead): readonly Buffer[] {
    if (!this.#oneLine) return [Buffer.from(`event: next\n${dataLines(`{"id":${JSON.stringify(head.id)},"payload":${this.json}}`)}\n`)];
    if (this.#payload.byteLength < SSE_SHARE_PAYLOAD_FROM) return [Buffer.concat([head.bytes, this.#payload.bytes, END])];
    return [head.bytes, this.#payload.bytes, END];
  }
}

const shared = new WeakMap<NextPayload, SseNext>();

/**
 * The {@link SseNext} of a fan-out payload, made by the first stream that needs it and
 * shared by the rest (and garbage with the payload). `eventId` is the event's id in the
 * resumption log, the same for every group of the topic; the first caller's is kept.
 */
export function sseNextOf(payload: NextPayload, eventId: string | undefined): SseNext {
  let next = shared.get(payload);
  if (next === undefined) {
    next = new SseNext(payload, eventId);
    shared.set(payload, next);
  }
  return next;
}

/** Where a stream's bytes go: a Node Writable (an HTTP response, an HTTP/2 stream). */
export interface ByteSink {
  write(chunk: Buffer): boolean;
}

/** Writes `next` to a stream: the distinct frame when `operation` is undefined, else the operation's parts. Returns `write`'s last answer (false: back-pressure). */
export function writeSseNext(out: ByteSink, next: SseNext, operation: OperationHead | undefined): boolean {
  if (operation === undefined) return out.write(next.distinct);
  let flowing = true;
  for (const part of next.forOperation(operation)) flowing = out.write(part);
  return flowing;
}

/** A `next` event for one result that is not a shared fan-out event (a query's result, validation errors), for a distinct stream or an operation. */
export function nextEvent(payloadJson: string, operationId?: string, eventId?: string): Buffer {
  const data = operationId === undefined ? payloadJson : `{"id":${JSON.stringify(operationId)},"payload":${payloadJson}}`;
  return Buffer.from(`${idLine(eventId)}event: next\n${dataLines(data)}\n`, 'utf8');
}

/** `complete` of a distinct stream: an empty `data:` line, without which EventSource fires no listener (PROTOCOL.md). */
export const DISTINCT_COMPLETE = Buffer.from('event: complete\ndata:\n\n');

/** `complete` of the operation `operationId` on a single-connection stream. */
export function completeEvent(operationId?: string): Buffer {
  if (operationId === undefined) return DISTINCT_COMPLETE;
  return Buffer.from(`event: complete\ndata: {"id":${JSON.stringify(operationId)}}\n\n`, 'utf8');
}

const errorsPayload = (message: string, code: string) => JSON.stringify({ errors: [{ message, extensions: { code } }] });

const finalDistinct = new Map<string, Buffer>();

/**
 * What a stream ending for `end` is sent before the response ends: for a `final` end,
 * each operation's `next` with the reason as a GraphQL error, then its `complete`
 * (`operationIds` undefined: a distinct stream, one frame built once per reason and
 * shared); for a `retry` end, nothing (an empty Buffer): the response just ends, so
 * that the client reconnects.
 */
export function finalEvents(end: StreamEnd, operationIds?: Iterable<string>): Buffer {
  if (end.kind === 'retry') return Buffer.alloc(0);
  const payload = errorsPayload(end.reason, SESSION_OVER_CODE);
  if (operationIds === undefined) {
    let frame = finalDistinct.get(end.reason);
    if (frame === undefined) {
      frame = Buffer.concat([nextEvent(payload), DISTINCT_COMPLETE]);
      finalDistinct.set(end.reason, frame);
    }
    return frame;
  }
  const parts: Buffer[] = [];
  for (const id of operationIds) parts.push(nextEvent(payload, id), completeEvent(id));
  return Buffer.concat(parts);
}

/**
 * The event a resuming distinct stream gets when the log no longer has every event since
 * its Last-Event-ID: a `next` with an `EVENTS_MISSED` error (the stream goes on), with the
 * id of the newest event so that a later reconnect resumes from here.
 */
export function eventsMissedEvent(newestId: string | undefined): Buffer {
  return nextEvent(errorsPayload(EVENTS_MISSED_MESSAGE, EVENTS_MISSED_CODE), undefined, newestId);
}
