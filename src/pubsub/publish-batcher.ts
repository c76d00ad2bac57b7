/**
 * Gathers the publishes made in one stretch of synchronous code (until the
 * microtask queue next runs) into chunks, each sent as one command: a loop
 * of per-user publishes costs one Redis command per chunk instead of one per
 * user. ioredis spends ~16-26 µs of CPU building, queueing and answering each
 * command, auto-pipelined or not; one script call carrying 256 publishes
 * costs ~1-2 µs per publish (measured on this machine, see the bench README,
 * "Two processes on Redis"). Pure: sending a chunk is the caller's.
 *
 * A chunk holds at most `maxMessages` publishes and at most `maxChars`
 * characters of channels and messages, so that no one command holds Redis
 * long or grows without bound; a single larger message is a chunk of its own.
 * Chunks are sent in publish order, and every publish of a chunk gets the
 * chunk's one promise: it settles when that command is answered, and rejects
 * with its error (a failed command fails each of its publishes, as it would
 * have failed each one alone).
 */

export interface PublishBatchLimits {
  /** The most publishes one command carries. */
  readonly maxMessages: number;
  /** The most characters (channels plus messages) one command carries, unless one message alone is longer. */
  readonly maxChars: number;
}

/** 256 publishes or 64 Ki characters per command, whichever comes first. */
export const DEFAULT_PUBLISH_BATCH_LIMITS: PublishBatchLimits = { maxMessages: 256, maxChars: 64 * 1024 };

/** Sends one chunk: `pairs` is channel, message, channel, message, … in publish order. */
export type SendChunk = (pairs: readonly string[]) => Promise<unknown>;

class Chunk {
  readonly pairs: string[] = [];
  chars = 0;
  resolve!: () => void;
  reject!: (error: unknown) => void;
  readonly done = new Promise<void>((resolve, reject) => {
    this.resolve = resolve;
    this.reject = reject;
  });
}

export class PublishBatcher {
  #chunks: Chunk[] = [];
  #scheduled = false;
  readonly #flush = () => this.#send();

  constructor(
    private readonly send: SendChunk,
    private readonly limits: PublishBatchLimits = DEFAULT_PUBLISH_BATCH_LIMITS,
    /** When the gathered chunks are sent: the next microtask by default. */
    private readonly schedule: (flush: () => void) => void = queueMicrotask,
  ) {
    if (!(limits.maxMessages >= 1) || !(limits.maxChars >= 1)) throw new Error('PublishBatcher needs maxMessages >= 1 and maxChars >= 1');
  }

  /** Queues one publish; resolves when the command carrying it is answered. */
  publish(channel: string, message: string): Promise<void> {
    const chars = channel.length + message.length;
    let chunk = this.#chunks[this.#chunks.length - 1];
    if (chunk === undefined || chunk.pairs.length >= 2 * this.limits.maxMessages || chunk.chars + chars > this.limits.maxChars) {
      // A message longer than maxChars still goes: in a chunk of its own.
      chunk = new Chunk();
      this.#chunks.push(chunk);
    }
    chunk.pairs.push(channel, message);
    chunk.chars += chars;
    if (!this.#scheduled) {
      this.#scheduled = true;
      this.schedule(this.#flush);
    }
    return chunk.done;
  }

  #send(): void {
    this.#scheduled = false;
    const chunks = this.#chunks;
    this.#chunks = [];
    for (const chunk of chunks) {
      let sent: Promise<unknown>;
      try {
        sent = this.send(chunk.pairs);
      } catch (error) {
        sent = Promise.reject(error);
      }
      sent.then(chunk.resolve, chunk.reject);
    }
  }
}
