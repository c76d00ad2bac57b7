import { frameHead } from '../protocol/frame-writer.js';

/**
 * One serialized `next` payload, shared by every subscriber of a group: the
 * JSON text after the subscriber's own prefix (see frames.ts), and the same
 * text as UTF-8 bytes, encoded once on first use. A transport writes a small
 * head of its own and then these bytes, the same Buffer for every subscriber
 * (see protocol/frame-writer.ts): never encoded per subscriber, and not copied
 * either unless smaller than a few kilobytes.
 */
export class NextPayload {
  /** The payload JSON and the frame's closing `}`: a frame is `prefix + tail`. */
  readonly tail: string;
  #bytes: Buffer | undefined;
  #headPrefix: string | undefined;
  #head: Buffer | undefined;

  constructor(payloadJson: string) {
    this.tail = `${payloadJson}}`;
  }

  /** `tail` as UTF-8. */
  get bytes(): Buffer {
    return (this.#bytes ??= Buffer.from(this.tail, 'utf8'));
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
