/** Remembers used ticket ids until they expire, so that each ticket works once. */
export interface ReplayGuard {
  /** Resolves true the first time `jti` is claimed, false ever after (until `expiresAt`). */
  claim(jti: string, expiresAt: number): Promise<boolean>;
  /**
   * Set by a guard that remembers only the claims made since it was created (it
   * keeps them in memory, so a restart forgets them): ms since the epoch. A ticket
   * signed before then (or that carries no signing time) may have been spent
   * before the restart, so it is refused (`ticket issued before this server
   * started`) without being claimed, and a client fetches a fresh one. Undefined
   * for guards that remember across restarts (the store, Redis).
   */
  readonly rememberedSince?: number;
}

/**
 * Single use in this process's memory: the gateway's default, and the embedded
 * default's (one process, no Redis). A restart forgets the spent ids, and
 * {@link ReplayGuard.rememberedSince} makes that safe: tickets signed before
 * this guard was created are refused. So a ticket spent before a restart cannot
 * be spent after it, and the connect path writes nothing to disk.
 *
 * What it assumes: it is the only guard its tickets are redeemed against, so
 * one process (for several, use Redis's `RedisReplayGuard`, or
 * `StoreReplayGuard` on the database they share); and the clock of whatever
 * signs the tickets does not run ahead of this process's by more than a
 * restart takes (a clock that does lets a ticket signed just before a restart
 * pass as signed after it).
 *
 * It holds one entry per ticket spent within one ticket lifetime (the id, and
 * the expiry in whole seconds since the guard started, a small integer V8 keeps
 * unboxed: about 90 bytes): at most the connect rate times TICKET_TTL_SECONDS.
 */
export class MemoryReplayGuard implements ReplayGuard {
  // id → expiry, in seconds since `rememberedSince`, rounded up. Insertion order is nearly
  // expiry order (one lifetime for all tickets), so expired entries are dropped from the
  // front, a few at a time, never by a full scan.
  readonly #used = new Map<string, number>();
  readonly rememberedSince: number;

  constructor(private readonly now: () => number = Date.now) {
    this.rememberedSince = now();
  }

  async claim(jti: string, expiresAt: number): Promise<boolean> {
    this.#dropExpired(this.now());
    if (this.#used.has(jti)) return false;
    this.#used.set(jti, Math.ceil((expiresAt - this.rememberedSince) / 1000));
    return true;
  }

  /** How many spent ids it holds. */
  get size(): number {
    return this.#used.size;
  }

  // An entry whose expiry is past but sits behind a later one waits until that one expires:
  // harmless, its ticket is refused as expired before its id is ever looked up.
  #dropExpired(now: number): void {
    const since = this.rememberedSince;
    for (const [id, until] of this.#used) {
      if (since + until * 1000 > now) return;
      this.#used.delete(id);
    }
  }
}
