/**
 * One serialized `next` payload, shared by every subscriber of a group: the
 * JSON text after the subscriber's own prefix (see frames.ts), and the same
 * text as UTF-8 bytes, encoded once on first use so that a transport can copy
 * bytes per subscriber instead of encoding the string again for each.
 */
export class NextPayload {
  /** The payload JSON and the frame's closing `}`: a frame is `prefix + tail`. */
  readonly tail: string;
  #bytes: Buffer | undefined;

  constructor(payloadJson: string) {
    this.tail = `${payloadJson}}`;
  }

  /** `tail` as UTF-8. */
  get bytes(): Buffer {
    return (this.#bytes ??= Buffer.from(this.tail, 'utf8'));
  }
}

/** A transport that can write a `next` frame from its parts without joining them into one string first. */
export interface NextWriter {
  sendNext(prefix: string, payload: NextPayload): void;
}
