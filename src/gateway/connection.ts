/** One socket's protocol state. Created by the engine; the handlers move it along. */
import type { Authenticated } from '../accounts/sessions.js';
import type { GraphQLContext } from '../graphql/context.js';
import type { NextPayload, NextWriter } from './fanout/next-payload.js';
import type { Subscriber, SubscriberSink } from './fanout/topic-registry.js';
import { CloseReason, CloseCode, limitReason } from './protocol/close-codes.js';
import { OperationTable } from './operation-table.js';
import type { Transport } from './transport.js';

export type ConnectionState = 'awaiting-init' | 'initialising' | 'ready' | 'closed';

/** An operation id whose single result (query or mutation) is still being computed. */
export const PENDING = 'pending' as const;

export interface ConnectionLimits {
  readonly maxBufferedBytes: number;
  readonly messagesPerSecond: number;
}

export class Connection implements SubscriberSink {
  state: ConnectionState = 'awaiting-init';
  auth: Authenticated | undefined;
  context: GraphQLContext | undefined;
  /** Live operations by id: subscriptions, or PENDING single results. */
  readonly operations = new OperationTable<Subscriber | typeof PENDING>();
  /** When connection_init is due (ms since the epoch). */
  initDeadline = 0;
  /** Set by the keep-alive sweep, cleared by a pong. */
  awaitingPong = false;
  /** Resolves the session the upgrade's cookie names, when one was sent from an allowed Origin. */
  cookieAuth: Promise<Authenticated | undefined> | undefined;
  #tokens: number;
  #refilledAt = Date.now();

  constructor(
    readonly transport: Transport,
    readonly ip: string,
    readonly userAgent: string | undefined,
    private readonly limits: ConnectionLimits,
    private readonly onClose: (connection: Connection) => void,
  ) {
    this.#tokens = limits.messagesPerSecond * 2;
  }

  get isOpen(): boolean {
    return this.state !== 'closed';
  }

  send(frame: string): void {
    if (this.state === 'closed') return;
    this.transport.send(frame);
    this.#closeIfSlow();
  }

  sendFrame(frame: string): void {
    this.send(frame);
  }

  /** A fan-out `next` frame: written from its parts when the transport can, else as one string. */
  sendNext(prefix: string, payload: NextPayload): void {
    if (this.state === 'closed') return;
    const transport = this.transport as Transport & Partial<NextWriter>;
    if (transport.sendNext !== undefined) transport.sendNext(prefix, payload);
    else transport.send(prefix + payload.tail);
    this.#closeIfSlow();
  }

  /** A client whose unread output passed the limit is closed, so server memory stays bounded. */
  #closeIfSlow(): void {
    if (this.transport.bufferedAmount > this.limits.maxBufferedBytes) {
      this.close(CloseCode.TryAgainLater, CloseReason.slowConsumer);
    }
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
    this.onClose(this);
  }

  /** Token bucket: MESSAGES_PER_SECOND sustained, twice that in a burst. */
  takeMessageToken(now: number): boolean {
    const rate = this.limits.messagesPerSecond;
    this.#tokens = Math.min(rate * 2, this.#tokens + ((now - this.#refilledAt) * rate) / 1000);
    this.#refilledAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
