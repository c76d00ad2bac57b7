/**
 * Fixed-window attempt counters for sign-in, one per key (an address, an
 * email, a device). @fastify/rate-limit limits routes, but sign-in must be
 * limited per email found inside a GraphQL mutation, which no route-level
 * plugin sees.
 *
 * A request is checked against several rules in order (the address first),
 * and counting stops at the first rule that refuses it: a request refused for
 * its address creates and increments nothing else, so one address cannot fill
 * the table with windows for emails it is not allowed to try.
 *
 * {@link MemoryRateLimiter} keeps the windows in this process, bounded by a
 * key count; `RedisRateLimiter` (redis-rate-limiter.ts) keeps them in Redis,
 * shared by every process of a cluster.
 */
export interface RateDecision {
  readonly allowed: boolean;
  /** Seconds until the refusing window resets; 0 when allowed. */
  readonly retryAfterSeconds: number;
  /** The refusing rule's scope (its key up to the first `:`, e.g. `ip`, `email`), when refused. */
  readonly refusedBy?: string;
}

/** One counter to check: its key, and how many attempts its window allows. */
export interface RateRule {
  readonly key: string;
  readonly limit: number;
}

export interface RateLimiter {
  /**
   * Counts one attempt against each rule in turn and stops at the first that
   * refuses it (the later rules are neither created nor counted).
   */
  hit(rules: readonly RateRule[]): Promise<RateDecision>;
}

export const ALLOWED: RateDecision = { allowed: true, retryAfterSeconds: 0 };

export function refusedFor(remainingMs: number, rule?: RateRule): RateDecision {
  const retryAfterSeconds = Math.max(1, Math.ceil(remainingMs / 1000));
  if (rule === undefined) return { allowed: false, retryAfterSeconds };
  return { allowed: false, retryAfterSeconds, refusedBy: rule.key.slice(0, Math.max(0, rule.key.indexOf(':'))) };
}

interface Window {
  count: number;
  readonly resetsAt: number;
}

/**
 * The in-process limiter: at most `maxKeys` windows. Every window lasts the
 * same time and a window is re-inserted when it starts again, so the Map's
 * insertion order is also expiry order: ended windows are dropped from its
 * front a few at a time on every hit (never a full scan), and when the table
 * is full of live windows the oldest goes. Keys are bounded in length by the
 * callers (an email is at most 254 characters once validated), so the count
 * bounds the bytes too.
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly #windows = new Map<string, Window>();
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #now: () => number;

  constructor(windowSeconds: number, maxKeys: number, now: () => number = Date.now) {
    if (!(maxKeys >= 1)) throw new RangeError('maxKeys must be at least 1');
    this.#windowMs = windowSeconds * 1000;
    this.#maxKeys = maxKeys;
    this.#now = now;
  }

  /** How many windows are kept (live or not yet pruned). */
  get size(): number {
    return this.#windows.size;
  }

  async hit(rules: readonly RateRule[]): Promise<RateDecision> {
    return this.hitNow(rules);
  }

  /** {@link hit}, synchronously. */
  hitNow(rules: readonly RateRule[]): RateDecision {
    const now = this.#now();
    this.#pruneSome(now, 4);
    for (const rule of rules) {
      const window = this.#count(rule.key, now);
      if (window.count > rule.limit) return refusedFor(window.resetsAt - now, rule);
    }
    return ALLOWED;
  }

  #count(key: string, now: number): Window {
    let window = this.#windows.get(key);
    if (window === undefined || window.resetsAt <= now) {
      // Delete first so that a restarted window moves to the back (expiry order).
      if (window !== undefined) this.#windows.delete(key);
      else if (this.#windows.size >= this.#maxKeys) this.#evictOne(now);
      window = { count: 0, resetsAt: now + this.#windowMs };
      this.#windows.set(key, window);
    }
    window.count += 1;
    return window;
  }

  /** Drops up to `budget` ended windows from the front. */
  #pruneSome(now: number, budget: number): void {
    for (const [key, window] of this.#windows) {
      if (budget-- <= 0 || window.resetsAt > now) return;
      this.#windows.delete(key);
    }
  }

  /** Makes room for one key: an ended window if there is one, else the oldest live one. */
  #evictOne(now: number): void {
    this.#pruneSome(now, 64);
    if (this.#windows.size < this.#maxKeys) return;
    const oldest = this.#windows.keys().next();
    if (oldest.done !== true) this.#windows.delete(oldest.value);
  }

  /** Forgets every window that has ended. */
  prune(now = this.#now()): void {
    this.#pruneSome(now, Number.POSITIVE_INFINITY);
  }
}
