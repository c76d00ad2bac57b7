/**
 * The seed's worker: every interval, a random integer 1..10 to the
 * `user_count:<id>` topic of every user with a live subscription.
 */
import { randomInt } from 'node:crypto';
import type { Publisher } from '../pubsub/publisher.js';

const PREFIX = 'user_count:';

export class UserCountWorker {
  #timer: NodeJS.Timeout | undefined;

  /**
   * @param activeTopics the topics with a live subscriber (in this process; with Redis, in the cluster)
   * @param intervalMs 0 turns the worker off
   */
  constructor(
    private readonly publisher: Publisher,
    private readonly activeTopics: () => Iterable<string> | Promise<Iterable<string>>,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  start(): void {
    if (this.intervalMs <= 0 || this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.tick().catch(this.onError), this.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Publishes one value to each active user's topic; resolves how many. */
  async tick(): Promise<number> {
    const publishes: Promise<void>[] = [];
    for (const topic of await this.activeTopics()) {
      if (!topic.startsWith(PREFIX)) continue;
      publishes.push(this.publisher.publish(topic, randomInt(1, 11)));
    }
    await Promise.all(publishes);
    return publishes.length;
  }
}
