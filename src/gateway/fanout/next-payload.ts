import { frameHead, SHARE_PAYLOAD_FROM, wholeFrame } from '../protocol/frame-writer.js';

/**
 * One serialized `next` payload, shared by every subscriber of a group: the
 * JSON text after the subscriber's own prefix (see frames.ts), and the same
 * text as UTF-8 bytes, encoded once on first use. A transport writes a small
 * head of its own and then these bytes, the same Buffer for every subscriber
 * (see protocol/frame-writer.ts): never encoded per subscriber, and not copied
 * either. A payload under {@link SHARE_PAYLOAD_FROM} bytes is written as one whole
 * frame instead, encoded straight from the strings, and that frame is shared too by
 * consecutive subscribers with the same prefix ({@link NextPayload.frame}).
 */
export class NextPayload {
  /** The payload JSON and the frame's closing `}`: a frame is `prefix + tail`. */
  readonly tail: string;
  #bytes: Buffer | undefined;
  #byteLength = -1;
  #headPrefix: string | undefined;
  #head: Buffer | undefined;
  #framePrefix: string | undefined;
  #frame: Buffer | undefined;

  /**
   * @param eventId the event's id in the SSE resumption log (`<ms>-<seq>`), when it was
   *   published with one and the group passes it on; sockets ignore it.
   */
  constructor(
    payloadJson: string,
    readonly eventId?: string,
  ) {
    this.tail = `${payloadJson}}`;
  }

  /** `tail` as UTF-8. */
  get bytes(): Buffer {
    return (this.#bytes ??= Buffer.from(this.tail, 'utf8'));
  }

  /** The UTF-8 length of `tail`, counted without encoding it. */
  get byteLength(): number {
    if (this.#byteLength < 0) this.#byteLength = this.#bytes?.length ?? Buffer.byteLength(this.tail);
    return this.#byteLength;
  }

  /** Whether the frame goes out as one buffer ({@link frame}) rather than as head + shared bytes. */
  get small(): boolean {
    return this.byteLength < SHARE_PAYLOAD_FROM;
  }

  /**
   * The whole frame for a subscriber with this prefix, for a {@link small} payload: the
   * last one is kept, like the head, so subscribers sharing a prefix are written the
   * same Buffer (nothing writes into a frame once built). One per-user subscriber: one
   * buffer, encoded once, with no separate payload bytes or head.
   */
  frame(prefix: string): Buffer {
    if (this.#frame === undefined || prefix !== this.#framePrefix) {
      this.#frame = wholeFrame(prefix, this.tail, this.byteLength);
      this.#framePrefix = prefix;
    }
    return this.#frame;
  }

  /**
   * The frame head (header and prefix) for a subscriber with this prefix. The last one
   * is kept: subscribers of a group mostly share one prefix (clients number their
   * subscriptions "1", "2", …, and frames.ts shares those strings), so a broadcast
   * builds one head, not one per subscriber. Never modified once built: shared as is.
   */
  head(prefix: string): Buffer {
    if (this.#head === undefined || prefix !== this.#headPrefix) {
      this.#head = frameHead(prefix, this.bytes.length);
      this.#headPrefix = prefix;
    }
    return this.#head;
  }
}

/** A transport that can write a `next` frame from its parts without joining them into one string first. */
export interface NextWriter {
  sendNext(prefix: string, payload: NextPayload): void;
}
