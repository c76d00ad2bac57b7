/**
 * Which subscription topics have a subscriber somewhere: the user-count
 * worker publishes only to those. In one process that is the engine's own
 * registry; across a cluster each node keeps its topics in a Redis set that
 * expires unless the node heartbeats, and readers take the union of live nodes.
 */
import type { Redis } from 'ioredis';

export interface Presence {
  /** A topic got its first local subscriber. */
  add(topic: string): void;
  /** A topic lost its last local subscriber. */
  remove(topic: string): void;
  /** Topics with a subscriber on any node. */
  activeTopics(): Promise<Iterable<string>>;
  close(): Promise<void>;
}

/** One process: the engine's registry is the truth. */
export class LocalPresence implements Presence {
  constructor(private readonly localTopics: () => Iterable<string>) {}
  add(): void {}
  remove(): void {}
  async activeTopics(): Promise<Iterable<string>> {
    return this.localTopics();
  }
  async close(): Promise<void> {}
}

export class RedisPresence implements Presence {
  readonly #nodesKey: string;
  readonly #topicsKey: string;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #ttlMs: number;

  /**
   * @param localTopics this node's topics, re-announced on every heartbeat (so a Redis restart loses nothing for long)
   * @param heartbeatMs how often this node says it is alive; it is forgotten after three missed beats
   */
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly nodeId: string,
    private readonly localTopics: () => Iterable<string>,
    heartbeatMs: number,
    private readonly onError: (error: unknown) => void,
  ) {
    this.#nodesKey = `${prefix}nodes`;
    this.#topicsKey = `${prefix}topics:${nodeId}`;
    this.#ttlMs = heartbeatMs * 3;
    this.#heartbeat = setInterval(() => void this.beat().catch(onError), heartbeatMs);
    this.#heartbeat.unref();
    void this.beat().catch(onError);
  }

  add(topic: string): void {
    this.redis
      .multi()
      .sadd(this.#topicsKey, topic)
      .pexpire(this.#topicsKey, this.#ttlMs)
      .exec()
      .catch(this.onError);
  }

  remove(topic: string): void {
    this.redis.srem(this.#topicsKey, topic).catch(this.onError);
  }

  /** Re-announces this node and all its topics. */
  async beat(): Promise<void> {
    const now = Date.now();
    const topics = [...this.localTopics()];
    const multi = this.redis
      .multi()
      .zadd(this.#nodesKey, now + this.#ttlMs, this.nodeId)
      .zremrangebyscore(this.#nodesKey, '-inf', now)
      .del(this.#topicsKey);
    if (topics.length > 0) multi.sadd(this.#topicsKey, ...topics).pexpire(this.#topicsKey, this.#ttlMs);
    await multi.exec();
  }

  async activeTopics(): Promise<Iterable<string>> {
    const nodes = await this.redis.zrangebyscore(this.#nodesKey, Date.now(), '+inf');
    if (nodes.length === 0) return [];
    return this.redis.sunion(...nodes.map((node) => `${this.prefix}topics:${node}`));
  }

  async close(): Promise<void> {
    clearInterval(this.#heartbeat);
    await this.redis
      .multi()
      .zrem(this.#nodesKey, this.nodeId)
      .del(this.#topicsKey)
      .exec()
      .catch(() => {});
  }
}
