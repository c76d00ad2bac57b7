/**
 * Every node's half of the user-count worker: on each tick message from the
 * lease holder, gives each LOCAL `user_count:<id>` topic its value for the
 * tick (derived from the tick's seed, so the same on every node) and hands it
 * to the engine's local fan-out — the same path a bus message for that topic
 * takes. Only topics with a local subscriber get a value, so only users with a
 * live subscription. The work is chunked so that a node with 20,000 such
 * topics never blocks its event loop for long; a newer tick stops an older
 * one still running.
 */
import type { Bus } from '../index.js';
import { isSeed, userCountValue } from './user-count-value.js';

/** The bus channel of the worker's ticks: one JSON `{ tick, seed }` per interval for the whole cluster (the demo's own, not the library's). */
export const USER_COUNT_TICKS = 'tessera:user-count-ticks';

const PREFIX = 'user_count:';
/** Topics per slice between yields to the event loop (about 10–20 ms of fan-out each). */
export const DELIVERY_CHUNK = 500;

export interface UserCountDeliveryOptions {
  readonly bus: Bus;
  /** Topics with a local subscriber (the engine's registry). */
  readonly localTopics: () => Iterable<string>;
  /** Delivers `message` (JSON of the event) to the local subscribers of `topic`, as a bus message would be. */
  readonly deliver: (topic: string, message: string) => void;
  readonly onError: (error: unknown) => void;
  readonly chunk?: number;
}

export class UserCountDelivery {
  readonly #stop: () => void;
  #generation = 0;
  #running: Promise<number> = Promise.resolve(0);

  constructor(private readonly options: UserCountDeliveryOptions) {
    this.#stop = options.bus.subscribe(USER_COUNT_TICKS, (message) => this.receive(message));
  }

  /** The run of the latest tick: resolves how many topics it delivered to (for tests and the bench). */
  get settled(): Promise<number> {
    return this.#running;
  }

  /** Handles one tick message; a malformed one is reported and ignored. */
  receive(message: string): void {
    let seed: unknown;
    try {
      seed = (JSON.parse(message) as { seed?: unknown }).seed;
    } catch (error) {
      this.options.onError(error);
      return;
    }
    if (!isSeed(seed)) {
      this.options.onError(new Error('user-count tick without a valid seed'));
      return;
    }
    const generation = ++this.#generation;
    this.#running = this.#run(generation, Buffer.from(seed, 'hex')).catch((error: unknown) => {
      this.options.onError(error);
      return 0;
    });
  }

  async #run(generation: number, key: Buffer): Promise<number> {
    // A snapshot: topics subscribed meanwhile wait for the next tick; ones gone meanwhile are skipped by the fan-out.
    const topics: string[] = [];
    for (const topic of this.options.localTopics()) if (topic.startsWith(PREFIX)) topics.push(topic);
    const chunk = this.options.chunk ?? DELIVERY_CHUNK;
    let delivered = 0;
    for (let start = 0; start < topics.length; start += chunk) {
      if (start > 0) {
        await new Promise((resolve) => setImmediate(resolve));
        if (generation !== this.#generation) break;
      }
      const end = Math.min(topics.length, start + chunk);
      for (let i = start; i < end; i++) {
        const topic = topics[i] as string;
        this.options.deliver(topic, String(userCountValue(key, topic)));
        delivered += 1;
      }
    }
    return delivered;
  }

  close(): void {
    this.#generation += 1;
    this.#stop();
  }
}
