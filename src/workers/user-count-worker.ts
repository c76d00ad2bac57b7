/**
 * The seed's worker: every interval, a random integer 1..10 to the
 * `user_count:<id>` topic of every user with a live subscription. In a
 * cluster only the holder of the lease ticks; the others check the lease
 * four times per interval and take over within two intervals if it lapses.
 *
 * A tick is ONE bus message for the whole cluster, `{ tick, seed }` on
 * `USER_COUNT_TICKS` (user-count-delivery.ts), with a fresh 128-bit seed; every node
 * derives its local users' values from the seed (user-count-delivery.ts,
 * user-count-value.ts). So the holder needs no list of users, Redis carries
 * one message per tick, and a node's work is O(its local topics).
 */
import type { Lease } from '../redis.js';
import { newSeed } from './user-count-value.js';

/** What the lease holder publishes each tick. */
export interface UserCountTick {
  /** This holder's tick count (for logs; a new holder starts again at 1). */
  readonly tick: number;
  /** 32 hex digits: 128 random bits, fresh every tick. */
  readonly seed: string;
}

export interface UserCountWorkerOptions {
  /** Sends one tick message to every node (the bus, on USER_COUNT_TICKS). */
  readonly publishTick: (message: string) => Promise<void>;
  readonly lease: Lease;
  /** 0 turns the worker off. */
  readonly intervalMs: number;
  readonly onError: (error: unknown) => void;
  /** Told when this process takes or loses the lease. */
  readonly onLeadership?: (held: boolean) => void;
}

export class UserCountWorker {
  #timer: NodeJS.Timeout | undefined;
  #nextTickAt = 0;
  #running = false;
  #ticks = 0;
  #held = false;

  constructor(private readonly options: UserCountWorkerOptions) {}

  /** How many ticks this process has published (for tests and metrics). */
  get ticks(): number {
    return this.#ticks;
  }

  start(): void {
    const { intervalMs } = this.options;
    if (intervalMs <= 0 || this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.#step(), Math.max(5, Math.floor(intervalMs / 4)));
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.options.lease.release().catch(this.options.onError);
  }

  async #step(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      const held = await this.options.lease.hold();
      if (held !== this.#held) {
        this.#held = held;
        this.options.onLeadership?.(held);
      }
      if (!held) {
        this.#nextTickAt = 0;
        return;
      }
      const now = Date.now();
      if (now < this.#nextTickAt) return;
      // Keep the cadence of the schedule, not of the (quarter-interval) checks that notice it is due.
      const late = this.#nextTickAt === 0 || now - this.#nextTickAt > this.options.intervalMs;
      this.#nextTickAt = late ? now + this.options.intervalMs : this.#nextTickAt + this.options.intervalMs;
      await this.tick();
    } catch (error) {
      this.options.onError(error);
    } finally {
      this.#running = false;
    }
  }

  /** Publishes one tick message, with a fresh seed; resolves what it published. */
  async tick(): Promise<UserCountTick> {
    this.#ticks += 1;
    const tick: UserCountTick = { tick: this.#ticks, seed: newSeed() };
    await this.options.publishTick(JSON.stringify(tick));
    return tick;
  }
}
