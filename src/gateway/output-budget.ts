/**
 * The budget of unread output across all sockets of a process
 * (WS_MAX_TOTAL_BUFFERED_BYTES). Each socket has its own limit; this one is for
 * many sockets that each stay under theirs, e.g. a thousand anonymous sockets
 * that ask for large results and never read. Past the budget, the sockets
 * holding the most are closed first, until the total is back under it.
 *
 * Cheap on the hot path: after each send a connection compares its unread bytes
 * with the figure last counted for it (a field on the connection), and only a
 * change reaches the budget; a reading client's is 0 before and after, since
 * Node writes to the kernel at once: one getter and one comparison per send. Only connections with unread output are
 * held here; they drain without telling anyone, so a sweep re-measures just those,
 * every {@link SWEEP_MS} while there are any. Nothing ever scans every socket.
 * Pure: no I/O; the clock is a timer injected for tests.
 */

/** What the budget needs of a connection. */
export interface BudgetedOutput {
  /** Bytes queued for the client and not yet handed to the kernel. */
  readonly unreadBytes: number;
  /** Kept by the budget: the unread bytes it last counted for this connection (0 when not held). */
  accountedBytes: number;
  /** Closes it (1013) because the process-wide budget is exceeded. */
  closeForOutputBudget(): void;
}

export const SWEEP_MS = 250;

export interface TimerLike {
  start(fire: () => void, everyMs: number): () => void;
}

const realTimer: TimerLike = {
  start(fire, everyMs) {
    const handle = setInterval(fire, everyMs);
    handle.unref();
    return () => clearInterval(handle);
  },
};

export class OutputBudget {
  /** Connections with unread output (how much, as last seen, is their `accountedBytes`). */
  readonly #held = new Set<BudgetedOutput>();
  #total = 0;
  #stopSweep: (() => void) | undefined;
  #enforcing = false;

  constructor(
    readonly maxTotalBytes: number,
    private readonly timer: TimerLike = realTimer,
  ) {}

  /** Unread bytes across all sockets, as last seen. */
  get totalBytes(): number {
    return this.#total;
  }

  /** How many connections hold unread output. */
  get heldCount(): number {
    return this.#held.size;
  }

  /** A connection's unread output now (after a send); closes the largest holders if the total is over budget. */
  record(output: BudgetedOutput, bytes: number): void {
    if (bytes === output.accountedBytes) return;
    this.#set(output, bytes);
    if (this.#total > this.maxTotalBytes) this.#enforce();
  }

  /** The connection is gone: its output no longer counts. */
  forget(output: BudgetedOutput): void {
    if (!this.#held.delete(output)) return;
    this.#total -= output.accountedBytes;
    output.accountedBytes = 0;
    this.#stopIfIdle();
  }

  /** Re-measures every connection with unread output; then enforces the budget. */
  sweep(): void {
    this.#remeasure();
    if (this.#total > this.maxTotalBytes) this.#enforce();
  }

  stop(): void {
    this.#stopSweep?.();
    this.#stopSweep = undefined;
  }

  #set(output: BudgetedOutput, bytes: number): void {
    this.#total += bytes - output.accountedBytes;
    output.accountedBytes = bytes;
    if (bytes === 0) {
      this.#held.delete(output);
      this.#stopIfIdle();
    } else {
      this.#held.add(output);
      this.#stopSweep ??= this.timer.start(() => this.sweep(), SWEEP_MS);
    }
  }

  #remeasure(): void {
    for (const output of this.#held) {
      const bytes = output.unreadBytes;
      if (bytes !== output.accountedBytes) this.#set(output, bytes);
    }
  }

  #enforce(): void {
    if (this.#enforcing) return;
    this.#enforcing = true;
    try {
      // Figures recorded earlier may be stale (sockets drain silently): measure before closing anyone.
      this.#remeasure();
      if (this.#total <= this.maxTotalBytes) return;
      const largestFirst = [...this.#held].sort((a, b) => b.accountedBytes - a.accountedBytes);
      for (const output of largestFirst) {
        if (this.#total <= this.maxTotalBytes) break;
        // Counted as released now: the socket is cut off soon after its close frame (see ws-adapter.ts).
        this.forget(output);
        output.closeForOutputBudget();
      }
    } finally {
      this.#enforcing = false;
    }
  }

  #stopIfIdle(): void {
    if (this.#held.size === 0) this.stop();
  }
}
