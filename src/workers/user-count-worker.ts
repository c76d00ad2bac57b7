/**
 * The seed's worker: every interval, a random integer 1..10 to the
 * `user_count:<id>` topic of every user with a live subscription. In a
 * cluster only the holder of the lease publishes; the others check the lease
 * four times per interval and take over within two intervals if it lapses.
 */
import { randomInt } from 'node:crypto';
import type { Lease } from '../cluster/lease.js';
import type { Publisher } from '../pubsub/publisher.js';

const PREFIX = 'user_count:';

export interface UserCountWorkerOptions {
  readonly publisher: Publisher;
  /** Topics with a live subscriber (in this process; with Redis, in the cluster). */
  readonly activeTopics: () => Promise<Iterable<string>>;
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

  /** Publishes one value to each active user's topic; resolves how many. */
  async tick(): Promise<number> {
    this.#ticks += 1;
    const publishes: Promise<void>[] = [];
    for (const topic of await this.options.activeTopics()) {
      if (topic.startsWith(PREFIX)) publishes.push(this.options.publisher.publish(topic, randomInt(1, 11)));
    }
    await Promise.all(publishes);
    return publishes.length;
  }
}
