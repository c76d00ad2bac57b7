/**
 * Which subscription topics have a subscriber somewhere. In one process that
 * is the engine's own registry; across a cluster each node keeps its topics in
 * a Redis set that expires unless the node heartbeats, and readers take the
 * union of live nodes. The user-count worker no longer reads it (each node
 * derives its own users' values from one tick message): it is the cluster-wide
 * view for operators and tools, kept cheap — incremental, with a constant-cost
 * heartbeat.
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

/**
 * A node's topics in a Redis set, kept incrementally: one SADD when a topic gets its first
 * local subscriber, one SREM when it loses its last. The heartbeat only says the node is
 * alive (ZADD, and PEXPIRE of its set): a constant three commands whatever the number of
 * topics. The whole set is sent again only when it may have been lost: after this node's
 * Redis connection comes back (a Redis restart), or when a heartbeat finds it gone.
 */
export class RedisPresence implements Presence {
  readonly #nodesKey: string;
  readonly #topicsKey: string;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #ttlMs: number;
  readonly #onClose = () => (this.#lost = true);
  readonly #onReady = () => {
    if (!this.#lost) return;
    this.#lost = false;
    void this.resync().catch(this.onError);
  };
  #lost = false;

  /**
   * @param localTopics this node's topics, sent whole only on a re-sync
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
    redis.on('close', this.#onClose);
    redis.on('ready', this.#onReady);
    void this.resync().catch(onError);
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

  /** Says this node is alive and keeps its set from expiring; re-syncs if the set is gone while it has topics. */
  async beat(): Promise<void> {
    const now = Date.now();
    const results = await this.redis
      .multi()
      .zadd(this.#nodesKey, now + this.#ttlMs, this.nodeId)
      .zremrangebyscore(this.#nodesKey, '-inf', now)
      .pexpire(this.#topicsKey, this.#ttlMs)
      .exec();
    const kept = results?.[2]?.[1];
    if (kept === 0 && !this.localTopics()[Symbol.iterator]().next().done) await this.resync();
  }

  /** Replaces this node's set with all its local topics, in one transaction. */
  async resync(): Promise<void> {
    const now = Date.now();
    const topics = [...this.localTopics()];
    const multi = this.redis
      .multi()
      .zadd(this.#nodesKey, now + this.#ttlMs, this.nodeId)
      .zremrangebyscore(this.#nodesKey, '-inf', now)
      .del(this.#topicsKey);
    // In slices, so that no single command carries a node's every topic.
    for (let i = 0; i < topics.length; i += 5000) multi.sadd(this.#topicsKey, ...topics.slice(i, i + 5000));
    if (topics.length > 0) multi.pexpire(this.#topicsKey, this.#ttlMs);
    await multi.exec();
  }

  /** The union of every live node's topics: O(users in the cluster); nothing in Tessera calls it on a schedule. */
  async activeTopics(): Promise<Iterable<string>> {
    const nodes = await this.redis.zrangebyscore(this.#nodesKey, Date.now(), '+inf');
    if (nodes.length === 0) return [];
    return this.redis.sunion(...nodes.map((node) => `${this.prefix}topics:${node}`));
  }

  async close(): Promise<void> {
    clearInterval(this.#heartbeat);
    this.redis.off('close', this.#onClose);
    this.redis.off('ready', this.#onReady);
    await this.redis
      .multi()
      .zrem(this.#nodesKey, this.nodeId)
      .del(this.#topicsKey)
      .exec()
      .catch(() => {});
  }
}
