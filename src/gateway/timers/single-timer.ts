/**
 * One re-armable timer for a whole structure of deadlines: armed for the
 * earliest one, never one per connection. Unref'd: it never keeps the process alive.
 */
export class SingleTimer {
  #handle: NodeJS.Timeout | undefined;
  #at = Infinity;

  constructor(private readonly fire: () => void) {}

  /** Makes sure the timer fires no later than `at` (ms since the epoch). */
  armFor(at: number): void {
    if (at >= this.#at && this.#handle !== undefined) return;
    this.cancel();
    this.#at = at;
    this.#handle = setTimeout(() => {
      this.#handle = undefined;
      this.#at = Infinity;
      this.fire();
    }, Math.max(0, at - Date.now()));
    this.#handle.unref();
  }

  cancel(): void {
    if (this.#handle !== undefined) clearTimeout(this.#handle);
    this.#handle = undefined;
    this.#at = Infinity;
  }
}
