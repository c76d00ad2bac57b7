/**
 * One re-armable timer for a whole structure of deadlines: armed for the
 * earliest one, never one per connection. Unref'd: it never keeps the process alive.
 */
// setTimeout's largest delay: a longer one is taken as 1 ms.
const MAX_DELAY_MS = 2 ** 31 - 1;

export class SingleTimer {
  #handle: NodeJS.Timeout | undefined;
  #at = Infinity;

  constructor(private readonly fire: () => void) {}

  /**
   * Makes sure the timer fires no later than `at` (ms since the epoch). `Infinity` (a
   * session that never expires) arms nothing; a deadline past setTimeout's range
   * (about 24.8 days) fires at the end of that range, and the owner arms again.
   */
  armFor(at: number): void {
    if (!Number.isFinite(at)) return;
    if (at >= this.#at && this.#handle !== undefined) return;
    this.cancel();
    this.#at = at;
    this.#handle = setTimeout(() => {
      this.#handle = undefined;
      this.#at = Infinity;
      this.fire();
    }, Math.min(MAX_DELAY_MS, Math.max(0, at - Date.now())));
    this.#handle.unref();
  }

  cancel(): void {
    if (this.#handle !== undefined) clearTimeout(this.#handle);
    this.#handle = undefined;
    this.#at = Infinity;
  }
}
