/**
 * A fixed-window attempt counter per key (an IP, an email). Pure and in memory:
 * @fastify/rate-limit limits routes, but login must be limited per email found
 * inside a GraphQL mutation, which no route-level plugin sees.
 */
export interface RateDecision {
  readonly allowed: boolean;
  /** Seconds until the window resets; 0 when allowed. */
  readonly retryAfterSeconds: number;
}

interface Window {
  count: number;
  resetsAt: number;
}

export class RateLimiter {
  readonly #windows = new Map<string, Window>();
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #now: () => number;

  constructor(limit: number, windowSeconds: number, now: () => number = Date.now) {
    this.#limit = limit;
    this.#windowMs = windowSeconds * 1000;
    this.#now = now;
  }

  /** Counts one attempt for `key` and says whether it is within the limit. */
  hit(key: string): RateDecision {
    const now = this.#now();
    let window = this.#windows.get(key);
    if (window === undefined || window.resetsAt <= now) {
      if (this.#windows.size > 100_000) this.prune(now);
      window = { count: 0, resetsAt: now + this.#windowMs };
      this.#windows.set(key, window);
    }
    window.count += 1;
    if (window.count <= this.#limit) return { allowed: true, retryAfterSeconds: 0 };
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((window.resetsAt - now) / 1000)) };
  }

  /** Forgets windows that have ended, so that memory stays bounded. */
  prune(now = this.#now()): void {
    for (const [key, window] of this.#windows) if (window.resetsAt <= now) this.#windows.delete(key);
  }
}
