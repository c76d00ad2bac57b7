/** One socket's protocol state. Created by the engine; the handlers move it along. */
import type { GatewaySession } from '../sessions/session-source.js';
import type { NextPayload, NextWriter } from './fanout/next-payload.js';
import type { Subscriber, SubscriberSink } from './fanout/topic-registry.js';
import { CloseReason, CloseCode, limitReason } from './protocol/close-codes.js';
import { OperationTable } from './operation-table.js';
import type { Transport } from './transport.js';
import type { BudgetedOutput, OutputBudget } from './output-budget.js';

export type ConnectionState = 'awaiting-init' | 'initialising' | 'ready' | 'closed';

/** An operation id whose single result (query or mutation) is still being computed, or whose stream is being set up. */
export const PENDING = 'pending' as const;

/** A subscription run the standard way (graphql-js `subscribe`): its own AsyncIterator. */
export interface StreamOperation {
  readonly kind: 'stream';
  /** Stops it: calls the iterator's `return()` and releases its document; safe to call more than once. */
  stop(): void;
}

export type Operation = Subscriber | StreamOperation | typeof PENDING;

export interface ConnectionLimits {
  readonly maxBufferedBytes: number;
  readonly messagesPerSecond: number;
}

/**
 * What every connection of an engine shares: its limits, what to call when one is released,
 * and the process-wide output budget. One object per engine, so that a socket holds one
 * reference where it would hold three.
 */
export interface ConnectionShared extends ConnectionLimits {
  readonly onClose: (connection: Connection) => void;
  readonly budget?: OutputBudget;
}

// A frame's header: at most 10 bytes (RFC 6455 §5.2), counted generously.
const FRAME_OVERHEAD = 14;

// The token bucket's clock: ms since this module loaded, and its tokens in thousandths. Both stay
// small integers (a time since the epoch, or a fraction, would be a heap number of its own in
// every connection; these are held inline). Exact: a refill of `ms × rate` thousandths is what
// `ms × rate / 1000` tokens were.
const CLOCK_ORIGIN = Date.now();
const MILLI = 1000;

/**
 * `now` as ms since CLOCK_ORIGIN, a small integer. Math.trunc, not a plain difference: the
 * difference of two heap numbers is a heap number even when whole (V8), and one stored in a
 * field gives every connection a 16-byte box for it. (Past 2^31 ms, 24.8 days after start-up,
 * the value is a heap number again: correct, 16 bytes more per socket.)
 */
function clock(now: number): number {
  return Math.trunc(now - CLOCK_ORIGIN);
}

export class Connection implements SubscriberSink, BudgetedOutput {
  state: ConnectionState = 'awaiting-init';
  /** What carries it: a WebSocket, or a GraphQL-over-SSE stream (engine.openStream); told to the context function. */
  carrier: 'socket' | 'sse' = 'socket';
  /** The socket's session (what the session source's `forSocket` kept of it), once authenticated. */
  session: GatewaySession | undefined;
  /** What the context function built for this socket once it was acknowledged (subscriptions run with it). */
  context: unknown;
  /** Live operations by id: fan-out subscribers, standard streams, or PENDING. */
  readonly operations = new OperationTable<Operation>();
  /** When connection_init is due (ms since the epoch); undefined once it came (no number kept for the socket's life). */
  initDeadline: number | undefined;
  /** Set by the keep-alive sweep, cleared by a pong. */
  awaitingPong = false;
  /** Resolves the session the upgrade's cookie names, when one was sent from an allowed Origin. */
  cookieAuth: Promise<GatewaySession | undefined> | undefined;
  /** The unread bytes the output budget counts for this socket; kept by the budget. */
  accountedBytes = 0;
  // Thousandths of a token, and when last refilled (ms since CLOCK_ORIGIN).
  #milliTokens: number;
  #refilledAt = clock(Date.now());

  constructor(
    readonly transport: Transport,
    readonly ip: string,
    readonly userAgent: string | undefined,
    /** Shared by every connection of an engine (one object, not one per socket). */
    private readonly shared: ConnectionShared,
  ) {
    this.#milliTokens = shared.messagesPerSecond * 2 * MILLI;
  }

  get isOpen(): boolean {
    return this.state !== 'closed';
  }

  send(frame: string): void {
    if (this.state === 'closed') return;
    // frame.length <= UTF-8 bytes <= 3 × frame.length: the exact count only when those bounds disagree.
    const room = this.shared.maxBufferedBytes - FRAME_OVERHEAD - this.transport.bufferedAmount;
    if (frame.length > room || (frame.length * 3 > room && Buffer.byteLength(frame) > room)) {
      this.#closeSlow();
      return;
    }
    this.transport.send(frame);
    this.#sent();
  }

  sendFrame(frame: string): void {
    this.send(frame);
  }

  /** A fan-out `next` frame: written from its parts when the transport can, else as one string. */
  sendNext(prefix: string, payload: NextPayload): void {
    if (this.state === 'closed') return;
    const room = this.shared.maxBufferedBytes - FRAME_OVERHEAD - this.transport.bufferedAmount;
    if (payload.byteLength + prefix.length * 3 > room && payload.byteLength + Buffer.byteLength(prefix) > room) {
      this.#closeSlow();
      return;
    }
    const transport = this.transport as Transport & Partial<NextWriter>;
    if (transport.sendNext !== undefined) transport.sendNext(prefix, payload);
    else transport.send(prefix + payload.tail);
    this.#sent();
  }

  /** Bytes queued for the client and not yet taken by the kernel. */
  get unreadBytes(): number {
    return this.transport.bufferedAmount;
  }

  /**
   * A message that would take the client's unread output past WS_MAX_BUFFERED_BYTES is not
   * queued: the socket is closed instead, so server memory stays bounded per socket.
   */
  #closeSlow(): void {
    this.close(CloseCode.TryAgainLater, CloseReason.slowConsumer);
  }

  /** After a send: what is left unread counts against the process-wide budget (only a change is passed on). */
  #sent(): void {
    const budget = this.shared.budget;
    if (budget === undefined) return;
    const bytes = this.transport.bufferedAmount;
    if (bytes !== this.accountedBytes) budget.record(this, bytes);
  }

  closeForOutputBudget(): void {
    this.close(CloseCode.TryAgainLater, CloseReason.outputBudget);
  }

  /** Closes the socket and releases everything it held; safe to call more than once. */
  close(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.transport.close(code, limitReason(reason));
    this.released();
  }

  /** Called when the socket is gone, whoever closed it. */
  released(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.shared.budget?.forget(this);
    this.shared.onClose(this);
  }

  /** Token bucket: MESSAGES_PER_SECOND sustained, twice that in a burst. */
  takeMessageToken(now: number): boolean {
    const rate = this.shared.messagesPerSecond;
    const at = clock(Math.floor(now));
    this.#milliTokens = Math.min(rate * 2 * MILLI, this.#milliTokens + (at - this.#refilledAt) * rate);
    this.#refilledAt = at;
    if (this.#milliTokens < MILLI) return false;
    this.#milliTokens -= MILLI;
    return true;
  }
}
