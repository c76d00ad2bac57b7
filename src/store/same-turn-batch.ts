/**
 * Gathers the calls made during one event-loop turn and runs them together at
 * the end of that turn (`setImmediate`), in batches of at most `maxBatch`: the
 * sockets whose `connection_init` frames arrive in one read of the loop share
 * one store statement instead of one each. Each call still gets its own answer
 * (or the batch's error). A call waits at most one turn longer than alone;
 * nothing is kept once its batch has answered (no cache).
 */
export class SameTurnBatch<I, O> {
  #pending: { readonly input: I; readonly resolve: (value: O) => void; readonly reject: (error: unknown) => void }[] = [];
  #scheduled = false;

  constructor(
    /** Answers the inputs, one result per input in the same order. */
    private readonly run: (inputs: readonly I[]) => Promise<readonly O[]>,
    /** The most inputs one `run` call is given. */
    private readonly maxBatch: number,
  ) {
    if (!(maxBatch >= 1)) throw new Error('SameTurnBatch needs maxBatch >= 1');
  }

  add(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#pending.push({ input, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const pending = this.#pending;
    this.#pending = [];
    for (let start = 0; start < pending.length; start += this.maxBatch) {
      const batch = pending.slice(start, start + this.maxBatch);
      let answer: Promise<readonly O[]>;
      try {
        answer = this.run(batch.map((entry) => entry.input));
      } catch (error) {
        answer = Promise.reject(error);
      }
      answer.then(
        (results) => {
          for (let k = 0; k < batch.length; k++) (batch[k] as (typeof batch)[number]).resolve(results[k] as O);
        },
        (error: unknown) => {
          for (const entry of batch) entry.reject(error);
        },
      );
    }
  }
}

/**
 * Splits `count` into the powers of two it is made of, largest first (37 → 32, 4, 1):
 * a batched statement is prepared for a few sizes only, so a bounded statement cache keeps them all.
 */
export function powerOfTwoChunks(count: number): number[] {
  const sizes: number[] = [];
  for (let size = 1 << 30; size >= 1; size >>>= 1) if ((count & size) !== 0) sizes.push(size);
  return sizes;
}
