/**
 * Keeps a burst of client messages from holding the event loop. `ws` hands
 * over every frame of a TCP read at once, synchronously: 40 subscriptions that
 * each take a few milliseconds to validate, arriving in one read, would hold
 * everyone else for a few hundred. Messages are handled at once while the
 * current turn of the event loop has spent less than `budgetMs` on them; past
 * that they wait in a FIFO, drained in later turns (`setImmediate`, after the
 * pending I/O), `budgetMs` at a time. A source with waiting messages is paused
 * (its socket is not read) until they are handled, so the queue holds at most
 * what was already read, and every source's messages keep their order.
 * Pure: the clock and the scheduler are injected.
 */

export interface SlicerOptions<S> {
  /** Handles one message now. */
  readonly handle: (source: S, text: string) => void;
  /** Stops and restarts reading from a source with waiting messages. */
  readonly pause: (source: S) => void;
  readonly resume: (source: S) => void;
  /** Time the messages of one turn may take before the rest wait, in ms. */
  readonly budgetMs: number;
  readonly now?: () => number;
  readonly later?: (run: () => void) => void;
}

export class MessageSlicer<S> {
  readonly #options: SlicerOptions<S>;
  readonly #now: () => number;
  readonly #later: (run: () => void) => void;
  // A FIFO as an array with a moving head: shift() would copy on every message.
  #sources: S[] = [];
  #texts: string[] = [];
  #head = 0;
  /** How many messages of each source wait (only sources with some). */
  readonly #waiting = new Map<S, number>();
  /** When this turn's first message was handled; -1 outside a turn. */
  #turnStartedAt = -1;
  #draining = false;

  constructor(options: SlicerOptions<S>) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
    this.#later = options.later ?? ((run) => void setImmediate(run));
  }

  /** Messages waiting to be handled. */
  get waiting(): number {
    return this.#sources.length - this.#head;
  }

  push(source: S, text: string): void {
    if (this.waiting === 0) {
      const now = this.#now();
      if (this.#turnStartedAt < 0) {
        this.#turnStartedAt = now;
        this.#later(() => (this.#turnStartedAt = -1));
      }
      if (now - this.#turnStartedAt < this.#options.budgetMs) {
        this.#options.handle(source, text);
        return;
      }
    }
    this.#sources.push(source);
    this.#texts.push(text);
    const count = this.#waiting.get(source) ?? 0;
    this.#waiting.set(source, count + 1);
    if (count === 0) this.#options.pause(source);
    if (!this.#draining) {
      this.#draining = true;
      this.#later(() => this.#drain());
    }
  }

  #drain(): void {
    const startedAt = this.#now();
    try {
      while (this.waiting > 0 && this.#now() - startedAt < this.#options.budgetMs) {
        const source = this.#sources[this.#head] as S;
        const text = this.#texts[this.#head] as string;
        this.#head += 1;
        const left = (this.#waiting.get(source) ?? 1) - 1;
        if (left === 0) this.#waiting.delete(source);
        else this.#waiting.set(source, left);
        try {
          this.#options.handle(source, text);
        } finally {
          if (left === 0) this.#options.resume(source);
        }
      }
    } finally {
      if (this.waiting > 0) {
        // Under steady load the queue may never empty: drop the handled prefix now and then.
        if (this.#head > 1024 && this.#head * 2 > this.#sources.length) {
          this.#sources = this.#sources.slice(this.#head);
          this.#texts = this.#texts.slice(this.#head);
          this.#head = 0;
        }
        this.#later(() => this.#drain());
      } else {
        this.#sources = [];
        this.#texts = [];
        this.#head = 0;
        this.#draining = false;
      }
    }
  }
}
