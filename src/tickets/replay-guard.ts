/** Remembers used ticket ids until they expire, so that each ticket works once. */
export interface ReplayGuard {
  /** Resolves true the first time `jti` is claimed, false ever after (until `expiresAt`). */
  claim(jti: string, expiresAt: number): Promise<boolean>;
}

/** One process's memory, forgotten at a restart: for tests. The server uses the store (store-replay-guard.ts) or Redis. */
export class MemoryReplayGuard implements ReplayGuard {
  readonly #used = new Map<string, number>();
  #nextSweep = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async claim(jti: string, expiresAt: number): Promise<boolean> {
    const now = this.now();
    if (now >= this.#nextSweep) {
      for (const [id, until] of this.#used) if (until <= now) this.#used.delete(id);
      this.#nextSweep = now + 10_000;
    }
    if (this.#used.has(jti)) return false;
    this.#used.set(jti, expiresAt);
    return true;
  }
}
